import Foundation

/// One block of `ffmpeg -progress` output.
public struct ProgressSnapshot: Sendable, Equatable {
    /// Position in the output, seconds.
    public var outTime: Double
    /// Frames per second being encoded.
    public var fps: Double?
    /// Speed relative to real time (`1.5` = 1.5×).
    public var speed: Double?
    /// Whether this is the last block (`progress=end`).
    public var isEnd: Bool

    /// Percent done of `duration` (0–100).
    public func percent(of duration: Double) -> Double {
        guard duration > 0 else { return isEnd ? 100 : 0 }
        return isEnd ? 100 : min(100, max(0, outTime / duration * 100))
    }

    /// Seconds left at the current speed, if known.
    public func eta(duration: Double) -> Double? {
        guard let speed, speed > 0, !isEnd else { return isEnd ? 0 : nil }
        return max(0, (duration - outTime) / speed)
    }
}

/// Reads `ffmpeg -nostats -progress pipe:1` line by line: `key=value` lines, each block ended by
/// `progress=continue` or `progress=end`. Unknown keys and malformed lines are ignored.
public struct ProgressParser: Sendable {
    private var outTime: Double = 0
    private var fps: Double?
    private var speed: Double?

    public init() {}

    /// Takes one line; returns a snapshot when the line ends a block.
    public mutating func consume(_ line: Substring) -> ProgressSnapshot? {
        guard let equals = line.firstIndex(of: "=") else { return nil }
        let key = line[..<equals].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        switch key {
        case "out_time_us", "out_time_ms":
            // Both are microseconds in ffmpeg 5 (out_time_ms is misnamed).
            if let micros = Double(value), micros.isFinite, micros >= 0 { outTime = micros / 1_000_000 }
        case "out_time":
            if let seconds = WebVTTTime.parse(Substring(value)) { outTime = seconds }
        case "fps":
            fps = Double(value).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        case "speed":
            let number = value.hasSuffix("x") ? String(value.dropLast()) : value
            speed = Double(number.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        case "progress":
            return ProgressSnapshot(outTime: outTime, fps: fps, speed: speed, isEnd: value == "end")
        default:
            break
        }
        return nil
    }
}

/// The HLS master playlist: one variant per rung, best first, and a subtitles group when there
/// are captions.
public struct HLSMasterPlaylist: Sendable {
    /// One variant.
    public struct Variant: Sendable, Equatable {
        public var name: String
        public var bandwidth: Int
        public var averageBandwidth: Int?
        public var width: Int
        public var height: Int
        public var frameRate: Double
        public var codecs: String
        /// Relative URI of the variant playlist, e.g. `720p/index.m3u8`.
        public var uri: String

        public init(name: String, bandwidth: Int, averageBandwidth: Int?, width: Int, height: Int, frameRate: Double, codecs: String, uri: String) {
            self.name = name
            self.bandwidth = bandwidth
            self.averageBandwidth = averageBandwidth
            self.width = width
            self.height = height
            self.frameRate = frameRate
            self.codecs = codecs
            self.uri = uri
        }
    }

    /// A subtitle rendition.
    public struct Subtitles: Sendable, Equatable {
        public var language: String
        public var name: String
        public var uri: String
        /// Shown unless the viewer turns it off (not when the captions are burned into the picture).
        public var isDefault: Bool

        public init(language: String, name: String, uri: String, isDefault: Bool = true) {
            self.language = language
            self.name = name
            self.uri = uri
            self.isDefault = isDefault
        }

        /// The `#EXT-X-MEDIA` line of the track in the group `subs`.
        public func mediaTag(first: Bool) -> String {
            #"#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="\#(name)",LANGUAGE="\#(language)","#
                + #"DEFAULT=\#(first && isDefault ? "YES" : "NO"),AUTOSELECT=\#(isDefault ? "YES" : "NO"),URI="\#(uri)""#
        }
    }

    public var variants: [Variant]
    public var subtitles: [Subtitles]

    public init(variants: [Variant], subtitles: [Subtitles]) {
        self.variants = variants
        self.subtitles = subtitles
    }

    public var text: String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
        for (index, track) in subtitles.enumerated() {
            lines.append(track.mediaTag(first: index == 0))
        }
        for variant in variants {
            var attributes = ["BANDWIDTH=\(variant.bandwidth)"]
            if let average = variant.averageBandwidth { attributes.append("AVERAGE-BANDWIDTH=\(average)") }
            attributes += [
                "RESOLUTION=\(variant.width)x\(variant.height)", String(format: "FRAME-RATE=%.3f", variant.frameRate),
                #"CODECS="\#(variant.codecs)""#,
            ]
            if !subtitles.isEmpty { attributes.append(#"SUBTITLES="subs""#) }
            lines += ["#EXT-X-STREAM-INF:" + attributes.joined(separator: ","), variant.uri]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A subtitle media playlist with one WebVTT segment covering the whole video.
    public static func subtitlePlaylist(vttURI: String, duration: Double) -> String {
        let target = Int(clampingRounded: duration.rounded(.up))
        return [
            "#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:\(max(1, target))", "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD", String(format: "#EXTINF:%.3f,", duration), vttURI, "#EXT-X-ENDLIST", "",
        ].joined(separator: "\n")
    }

    /// The RFC 6381 codec string of an H.264 stream (`avc1.64001f`) from ffprobe's profile and level.
    public static func avcCodec(profile: String?, level: Int?) -> String {
        let profileIDC: Int = switch profile?.lowercased() {
        case "baseline", "constrained baseline": 66
        case "main": 77
        case "high 10": 110
        case "high 4:2:2": 122
        default: 100
        }
        let constraints = profile?.lowercased() == "constrained baseline" ? 0x40 : 0
        return String(format: "avc1.%02x%02x%02x", profileIDC, constraints, level ?? 40)
    }
}

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
