import Foundation

/// One subtitle cue.
public struct CaptionCue: Sendable, Equatable, Codable {
    public var start: Double
    public var end: Double
    /// One or two lines.
    public var lines: [String]

    public var text: String { lines.joined(separator: " ") }
}

/// Cuts a transcript into readable cues and writes them as WebVTT or SRT.
///
/// A cue never spans two segments, lasts at most `maximumDuration` (7 s) and holds at most
/// `maximumLines` (2) lines of `maximumLineLength` (42) characters: longer segments are split at
/// word boundaries using the words' own timestamps.
public struct CaptionBuilder: Sendable {
    public var maximumDuration = 7.0
    public var maximumLines = 2
    public var maximumLineLength = 42

    public init() {}

    /// The cues of `transcript`, in order, never overlapping.
    public func cues(for transcript: Transcript) -> [CaptionCue] {
        var cues: [CaptionCue] = []
        for (index, segment) in transcript.segments.enumerated() {
            let nextStart = index + 1 < transcript.segments.count ? transcript.segments[index + 1].start : transcript.duration
            var words = segment.words
            if words.isEmpty, !segment.text.isEmpty {
                words = [TranscriptWord(word: segment.text, start: segment.start, end: segment.end, probability: 1)]
            }
            var current: [TranscriptWord] = []
            for word in words {
                let candidate = current + [word]
                if let first = current.first, !fits(candidate) || word.end - first.start > maximumDuration {
                    cues.append(cue(current, segmentEnd: nil))
                    current = [word]
                } else {
                    current = candidate
                }
            }
            if !current.isEmpty {
                // whisper.cpp ends segments a little early: keep the cue up until the segment's
                // end (or the next segment's start), within the duration limit.
                cues.append(cue(current, segmentEnd: min(max(segment.end, current.last?.end ?? 0), nextStart)))
            }
        }
        // Never overlap, never run backwards.
        for index in cues.indices {
            if index > 0 { cues[index].start = max(cues[index].start, cues[index - 1].end) }
            cues[index].end = max(cues[index].end, cues[index].start + 0.1)
        }
        return cues
    }

    private func cue(_ words: [TranscriptWord], segmentEnd: Double?) -> CaptionCue {
        let start = words.first?.start ?? 0
        var end = words.last?.end ?? start
        if let segmentEnd { end = max(end, min(segmentEnd, start + maximumDuration)) }
        return CaptionCue(start: start, end: end, lines: wrap(words.map(\.word)) ?? [words.map(\.word).joined(separator: " ")])
    }

    private func fits(_ words: [TranscriptWord]) -> Bool {
        wrap(words.map(\.word)) != nil
    }

    /// Greedy line wrap; `nil` when the words need more than `maximumLines` lines.
    func wrap(_ words: [String]) -> [String]? {
        var lines: [String] = []
        var line = ""
        for word in words {
            if line.isEmpty {
                line = word
            } else if line.count + 1 + word.count <= maximumLineLength {
                line += " " + word
            } else {
                lines.append(line)
                line = word
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines.count <= maximumLines ? lines : nil
    }
}

/// WebVTT and SRT text for a list of cues.
public enum CaptionFormat: String, Sendable, CaseIterable {
    case vtt
    case srt

    /// The document.
    public func render(_ cues: [CaptionCue]) -> String {
        switch self {
        case .vtt:
            var out = "WEBVTT\n\n"
            for (index, cue) in cues.enumerated() {
                out += "\(index + 1)\n\(Self.timestamp(cue.start, separator: ".")) --> \(Self.timestamp(cue.end, separator: "."))\n"
                out += Self.payload(cue.lines).map(Self.escapeVTT).joined(separator: "\n") + "\n\n"
            }
            return out
        case .srt:
            var out = ""
            for (index, cue) in cues.enumerated() {
                out += "\(index + 1)\n\(Self.timestamp(cue.start, separator: ",")) --> \(Self.timestamp(cue.end, separator: ","))\n"
                out += Self.payload(cue.lines).map { $0.replacingOccurrences(of: "-->", with: "->") }.joined(separator: "\n") + "\n\n"
            }
            return out
        }
    }

    /// `HH:MM:SS.mmm` (`,` for SRT).
    static func timestamp(_ seconds: Double, separator: String) -> String {
        // A time from outside (a transcript, an edit) may be anything: no trap on NaN or ±inf.
        let milliseconds = seconds.isFinite ? Int(min(max(0, seconds * 1000), 3.6e11).rounded()) : 0
        let hours = milliseconds / 3_600_000, minutes = milliseconds / 60_000 % 60
        let secs = milliseconds / 1000 % 60, millis = milliseconds % 1000
        return String(format: "%02d:%02d:%02d%@%03d", hours, minutes, secs, separator, millis)
    }

    /// The cue's lines with every line break inside them (CR, LF, CRLF, U+2028…) made a space and
    /// blank lines dropped: a blank line would end the cue early (found by scripts/fuzz).
    static func payload(_ lines: [String]) -> [String] {
        let cleaned = lines.map { line in
            line.components(separatedBy: .newlines).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        return cleaned.isEmpty ? ["…"] : cleaned
    }

    /// Text in a WebVTT cue may not contain `&`, `<` or `-->` unescaped.
    static func escapeVTT(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
