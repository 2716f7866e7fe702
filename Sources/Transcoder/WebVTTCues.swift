import Foundation

/// The cues of a WebVTT file (for the `video.captions` event and search).
public enum WebVTTCues {
    public struct Cue: Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var text: String
    }

    /// Cues in order; blocks without a `-->` timing line (header, notes, styles) are skipped.
    public static func parse(_ text: String) -> [Cue] {
        var cues: [Cue] = []
        let blocks = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
        for block in blocks {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: true)
            guard let timingIndex = lines.firstIndex(where: { $0.contains("-->") }) else { continue }
            let timing = lines[timingIndex].components(separatedBy: "-->")
            guard timing.count == 2,
                  let start = WebVTTTime.parse(Substring(timing[0].trimmingCharacters(in: .whitespaces))),
                  let end = WebVTTTime.parse(Substring(timing[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? ""))
            else { continue }
            let body = lines[(timingIndex + 1)...].joined(separator: " ").trimmingCharacters(in: .whitespaces)
            if !body.isEmpty { cues.append(Cue(start: start, end: end, text: body)) }
        }
        return cues
    }
}

/// `HH:MM:SS.mmm`.
public enum WebVTTTime {
    public static func format(_ seconds: Double) -> String {
        let millis = Int(clampingRounded: max(0, seconds) * 1000)
        return String(format: "%02d:%02d:%02d.%03d", millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60, millis % 1000)
    }

    /// Parses `HH:MM:SS.mmm` or `MM:SS.mmm`.
    public static func parse(_ text: Substring) -> Double? {
        let parts = text.split(separator: ":")
        guard (2...3).contains(parts.count), let last = Double(parts[parts.count - 1]) else { return nil }
        var total = last
        var multiplier = 60.0
        for part in parts.dropLast().reversed() {
            guard let value = Double(part) else { return nil }
            total += value * multiplier
            multiplier *= 60
        }
        return total
    }
}
