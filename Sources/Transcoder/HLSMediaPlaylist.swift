import Foundation

/// One rung's HLS media playlist with fMP4 segments: what ffmpeg's HLS muxer has written so far
/// (read while it runs), and the playlist ClipCut publishes — an `EVENT` playlist that only grows,
/// ended with `#EXT-X-ENDLIST` when the video is ready.
public struct HLSMediaPlaylist: Sendable, Equatable {
    /// One segment: its length in seconds and its file name (relative to the playlist).
    public struct Segment: Sendable, Equatable {
        public var duration: Double
        public var uri: String

        public init(duration: Double, uri: String) {
            self.duration = duration
            self.uri = uri
        }
    }

    /// The initialisation segment (`#EXT-X-MAP`).
    public var initURI: String
    /// The segments in order.
    public var segments: [Segment]
    /// Whether the playlist is complete (`#EXT-X-ENDLIST`).
    public var ended: Bool

    public init(initURI: String = "init.mp4", segments: [Segment] = [], ended: Bool = false) {
        self.initURI = initURI
        self.segments = segments
        self.ended = ended
    }

    /// Seconds of video the segments hold.
    public var duration: Double { segments.reduce(0) { $0 + $1.duration } }

    /// Reads a playlist ffmpeg is writing. Only complete entries count: an `#EXTINF` followed by
    /// a plain file name (no path, no scheme); a line cut short by a concurrent write ends the
    /// list there, so a half-read file yields fewer segments, never a wrong one.
    public static func parse(_ text: String) -> HLSMediaPlaylist {
        var playlist = HLSMediaPlaylist()
        var pending: Double?
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            // The last line of a file still being written may be incomplete unless it ends with a newline.
            if index == lines.count - 1 && !line.isEmpty { break }
            if line.hasPrefix("#EXT-X-MAP:"), let uri = attribute("URI", in: line), isPlainFileName(uri) {
                playlist.initURI = uri
            } else if line.hasPrefix("#EXTINF:") {
                let value = line.dropFirst("#EXTINF:".count).split(separator: ",", omittingEmptySubsequences: false).first ?? ""
                guard let seconds = Double(value), segmentLengths.contains(seconds) else { break }
                pending = seconds
            } else if line == "#EXT-X-ENDLIST" {
                playlist.ended = true
            } else if !line.isEmpty && !line.hasPrefix("#") {
                guard let seconds = pending, isPlainFileName(line) else { break }
                playlist.segments.append(Segment(duration: seconds, uri: line))
                pending = nil
            }
        }
        return playlist
    }

    /// The published text: version 7, `EVENT` type, target duration the longest segment rounded
    /// up, the `#EXT-X-MAP`, the segments, and `#EXT-X-ENDLIST` once `ended`.
    public var text: String {
        let target = max(1, Int((segments.map(\.duration).max() ?? 1).rounded(.up)))
        var lines = [
            "#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:\(target)", "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-INDEPENDENT-SEGMENTS", #"#EXT-X-MAP:URI="\#(initURI)""#,
        ]
        for segment in segments {
            lines += [String(format: "#EXTINF:%.6f,", segment.duration), segment.uri]
        }
        if ended { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The segment lengths a playlist may declare: at least a millisecond (the published text
    /// has six decimals) and at most an hour (the target duration is a whole number of seconds).
    static let segmentLengths: ClosedRange<Double> = 0.001...3600

    /// `seg_00001.m4s`, `init.mp4`: letters, digits, `_`, `-`, `.`; no path, not hidden.
    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)) }
    }

    /// The quoted value of `name=` in an attribute list.
    static func attribute(_ name: String, in line: String) -> String? {
        guard let range = line.range(of: "\(name)=\"") else { return nil }
        let rest = line[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}

/// How ffmpeg writes a rung as HLS with fMP4 segments while it encodes: segments of about
/// `segmentSeconds` cut at keyframes, `init.mp4` and `seg_00000.m4s`… beside `index.m3u8`, an
/// `EVENT` playlist rewritten after each segment is complete (`temp_file`: a segment appears under
/// its name only when closed).
public enum HLSSegmenting {
    /// Seconds per segment: the ladder's keyframe interval, so the first segment is out early.
    public static let segmentSeconds = 2

    /// Seconds of the first segment when the ladder puts a keyframe there
    /// (``EncodingOptions/firstKeyframeSeconds``): the video plays once every rung has it.
    public static let firstSegmentSeconds = 1.0

    /// The output options writing into `directory` (which must exist); with
    /// `firstSegmentSeconds`, the first segment is cut at the first keyframe from that time on
    /// (`-hls_init_time`) and the others as before.
    public static func output(directory: String, segmentSeconds: Int = segmentSeconds, firstSegmentSeconds: Double? = nil) -> [String] {
        var first: [String] = []
        if let firstSegmentSeconds, firstSegmentSeconds > 0 { first = ["-hls_init_time", LadderCommand.number(firstSegmentSeconds)] }
        return [
            "-f", "hls", "-hls_time", String(segmentSeconds)] + first + ["-hls_list_size", "0", "-hls_playlist_type", "event",
            "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
            "-hls_segment_filename", "\(directory)/seg_%05d.m4s", "-hls_flags", "temp_file+independent_segments",
            "\(directory)/index.m3u8",
        ]
    }

    /// A rung cut from the source by stream copy (it is already in the rung's format): its
    /// segments are written in the time it takes to read the file.
    public static func copy(source: MediaInput, hasAudio: Bool, directory: String, segmentSeconds: Int = segmentSeconds) -> [String] {
        var arguments = ["-nostdin", "-y", "-hide_banner", "-loglevel", "error"] + source.arguments + ["-map", "0:v:0"]
        if hasAudio { arguments += ["-map", "0:a:0"] }
        return arguments + ["-c", "copy"] + output(directory: directory, segmentSeconds: segmentSeconds)
    }
}
