import Foundation

/// A caption file an owner uploads to replace a track: WebVTT or SRT, read strictly. Every cue
/// needs a start before its end, inside the video, and plain text (no markup: a cue with `<b>`
/// or `<script>` is refused, not rendered).
public enum CaptionFile {
    /// The largest file accepted.
    public static let maximumBytes = 1 << 20
    /// The most cues a track may have.
    public static let maximumCues = 20_000
    /// The longest cue text, in characters.
    public static let maximumCueText = 1_000

    /// Why a file was refused, for the owner.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The cues of `bytes` (WebVTT if it starts with `WEBVTT`, else SRT), checked against a
    /// video of `duration` seconds (when known).
    public static func parse(_ bytes: [UInt8], duration: Double?) throws(Problem) -> [CaptionCue] {
        guard bytes.count <= maximumBytes else { throw Problem("the file is larger than \(maximumBytes / 1024) KiB") }
        guard var text = String(validating: bytes, as: UTF8.self) else { throw Problem("the file is not UTF-8 text") }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let isVTT = text.hasPrefix("WEBVTT")
        var blocks = text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }.filter { !$0.isEmpty }
        if isVTT { blocks.removeFirst() }  // the header block
        var cues: [CaptionCue] = []
        for block in blocks {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if isVTT, let first = lines.first, first.hasPrefix("NOTE") || first.hasPrefix("STYLE") || first.hasPrefix("REGION") { continue }
            guard let timingIndex = lines.firstIndex(where: { $0.contains("-->") }), timingIndex <= 1 else {
                throw Problem("cue \(cues.count + 1) has no `start --> end` line")
            }
            let number = cues.count + 1
            let parts = lines[timingIndex].components(separatedBy: "-->")
            guard parts.count == 2,
                  let start = time(parts[0].trimmingCharacters(in: .whitespaces)),
                  let end = time(parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? "")
            else { throw Problem("cue \(number): the times are not HH:MM:SS.mmm") }
            guard end > start else { throw Problem("cue \(number) ends before it starts") }
            if let duration, start > duration + 1 { throw Problem("cue \(number) starts after the end of the video") }
            let body = lines[(timingIndex + 1)...].map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
            guard !body.isEmpty else { throw Problem("cue \(number) has no text") }
            guard !body.contains("<"), !body.contains(">") else { throw Problem("cue \(number) contains markup; only plain text is allowed") }
            guard body.count <= maximumCueText else { throw Problem("cue \(number) is longer than \(maximumCueText) characters") }
            guard !body.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw Problem("cue \(number) contains control characters")
            }
            let decoded = body.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&amp;", with: "&")
            cues.append(CaptionCue(start: start, end: end, text: decoded))
            guard cues.count <= maximumCues else { throw Problem("the file has more than \(maximumCues) cues") }
        }
        guard !cues.isEmpty else { throw Problem("the file has no cues") }
        return cues
    }

    /// `HH:MM:SS.mmm`, `MM:SS.mmm` or SRT's `HH:MM:SS,mmm`, in seconds.
    static func time(_ text: String) -> Double? {
        let parts = text.replacingOccurrences(of: ",", with: ".").split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isNumber || $0 == "." } }) else { return nil }
        var total = 0.0
        for part in parts {
            guard let value = Double(part), value.isFinite else { return nil }
            total = total * 60 + value
        }
        return total
    }

    /// A WebVTT document of `cues` (times `HH:MM:SS.mmm`, `&`, `<`, `>` escaped).
    public static func webVTT(_ cues: [CaptionCue]) -> String {
        var out = "WEBVTT\n\n"
        for (index, cue) in cues.enumerated() {
            let text = cue.text.components(separatedBy: .newlines).joined(separator: " ")
                .replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "-->", with: "->")
            out += "\(index + 1)\n\(stamp(cue.start)) --> \(stamp(cue.end))\n\(text)\n\n"
        }
        return out
    }

    static func stamp(_ seconds: Double) -> String {
        let millis = seconds.isFinite ? Int(min(max(0, seconds * 1000), 3.6e11).rounded()) : 0
        return String(format: "%02d:%02d:%02d.%03d", millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60, millis % 1000)
    }
}
