import Foundation

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
        // ffprobe says -99 when it does not know (a stream copied into an init segment).
        let knownLevel = level.flatMap { (1...255).contains($0) ? $0 : nil } ?? 40
        return String(format: "avc1.%02x%02x%02x", profileIDC, constraints, knownLevel)
    }

    /// The RFC 6381 codec string as the stream itself declares it: profile, constraint flags and
    /// level from the `avcC` box of an MP4 or fMP4 init segment; `nil` when there is none.
    public static func avcCodec(initSegment bytes: [UInt8]) -> String? {
        let tag: [UInt8] = Array("avcC".utf8)
        guard bytes.count >= 8 else { return nil }
        for index in 0...(bytes.count - 8) where bytes[index..<index + 4].elementsEqual(tag) {
            // avcC: configurationVersion (1), then profile, constraints, level.
            guard bytes[index + 4] == 1 else { continue }
            return String(format: "avc1.%02x%02x%02x", bytes[index + 5], bytes[index + 6], bytes[index + 7])
        }
        return nil
    }
}
