import Foundation

/// What ffprobe says about a source, reduced to what the ladder needs.
public struct MediaProbe: Sendable, Equatable {
    /// The first video stream.
    public struct VideoStream: Sendable, Equatable {
        /// Codec name, e.g. `h264`.
        public var codec: String
        /// Coded width and height (before rotation and sample aspect ratio).
        public var width: Int
        public var height: Int
        /// Rotation in degrees from the display matrix or the `rotate` tag (0, 90, 180, 270).
        public var rotation: Int
        /// Sample aspect ratio (1 for square pixels).
        public var sampleAspectRatio: Double
        /// Frames per second (average, falling back to the nominal rate).
        public var frameRate: Double
        /// Bit rate in bits per second, if known.
        public var bitRate: Int?
        /// Pixel format, e.g. `yuv420p`.
        public var pixelFormat: String?

        /// Width as displayed: rotation and sample aspect ratio applied.
        public var displayWidth: Int {
            let width = Double(rotation % 180 == 0 ? self.width : self.height)
            return Int((rotation % 180 == 0 ? width * sampleAspectRatio : width).rounded())
        }

        /// Height as displayed: rotation and sample aspect ratio applied.
        public var displayHeight: Int {
            let height = Double(rotation % 180 == 0 ? self.height : self.width)
            return Int((rotation % 180 == 0 ? height : height * sampleAspectRatio).rounded())
        }
    }

    /// The first audio stream.
    public struct AudioStream: Sendable, Equatable {
        public var codec: String
        /// Codec profile, e.g. `LC` or `HE-AAC`.
        public var profile: String? = nil
        public var channels: Int
        public var sampleRate: Int
        public var bitRate: Int?
    }

    /// Duration in seconds.
    public var duration: Double
    /// Container format names, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    public var formatName: String
    /// Overall bit rate, if known.
    public var bitRate: Int?
    public var video: VideoStream?
    public var audio: AudioStream?

    /// Why a probe result is not a video ClipCut can process.
    public enum Rejection: Error, Equatable, Sendable, CustomStringConvertible {
        case notAVideo
        case noDuration

        public var description: String {
            switch self {
            case .notAVideo: "not a video"
            case .noDuration: "the video has no duration"
            }
        }
    }

    /// Parses `ffprobe -of json -show_format -show_streams` output.
    /// - Throws: ``Rejection`` when there is no decodable video stream or no duration.
    public init(ffprobeJSON data: Data) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw Rejection.notAVideo }
        let streams = root["streams"] as? [[String: Any]] ?? []
        let format = root["format"] as? [String: Any] ?? [:]
        formatName = format["format_name"] as? String ?? ""
        bitRate = Self.int(format["bit_rate"])
        let videoStream = streams.first { ($0["codec_type"] as? String) == "video" && !Self.isAttachedPicture($0) }
        guard let videoStream, let width = Self.int(videoStream["width"]), let height = Self.int(videoStream["height"]),
              width > 0, height > 0, let codec = videoStream["codec_name"] as? String
        else { throw Rejection.notAVideo }
        video = VideoStream(
            codec: codec, width: width, height: height, rotation: Self.rotation(videoStream),
            sampleAspectRatio: Self.ratio(videoStream["sample_aspect_ratio"] as? String) ?? 1,
            frameRate: Self.ratio(videoStream["avg_frame_rate"] as? String) ?? Self.ratio(videoStream["r_frame_rate"] as? String) ?? 25,
            bitRate: Self.int(videoStream["bit_rate"]), pixelFormat: videoStream["pix_fmt"] as? String)
        if let audioStream = streams.first(where: { ($0["codec_type"] as? String) == "audio" }), let audioCodec = audioStream["codec_name"] as? String {
            audio = AudioStream(
                codec: audioCodec, profile: audioStream["profile"] as? String, channels: Self.int(audioStream["channels"]) ?? 2,
                sampleRate: Self.int(audioStream["sample_rate"]) ?? 48000, bitRate: Self.int(audioStream["bit_rate"]))
        }
        let durations = [Self.double(format["duration"]), Self.double(videoStream["duration"])].compactMap { $0 }.filter { $0 > 0 }
        guard let duration = durations.first else { throw Rejection.noDuration }
        self.duration = duration
    }

    /// Creates a probe result directly (tests, planning).
    public init(duration: Double, formatName: String = "mp4", bitRate: Int? = nil, video: VideoStream?, audio: AudioStream?) {
        self.duration = duration
        self.formatName = formatName
        self.bitRate = bitRate
        self.video = video
        self.audio = audio
    }

    private static func isAttachedPicture(_ stream: [String: Any]) -> Bool {
        ((stream["disposition"] as? [String: Any])?["attached_pic"] as? Int) == 1
    }

    /// Rotation from the display matrix side data (ffmpeg 5+) or the legacy `rotate` tag,
    /// normalised to 0, 90, 180 or 270 (clockwise, as players apply it).
    private static func rotation(_ stream: [String: Any]) -> Int {
        var degrees = 0.0
        if let sideData = stream["side_data_list"] as? [[String: Any]],
           let matrix = sideData.first(where: { ($0["side_data_type"] as? String) == "Display Matrix" }),
           let rotation = double(matrix["rotation"]) {
            degrees = -rotation  // ffprobe reports counter-clockwise
        } else if let tag = (stream["tags"] as? [String: Any])?["rotate"], let rotate = double(tag) {
            degrees = rotate
        }
        let normalised = (Int((degrees / 90).rounded()) * 90 % 360 + 360) % 360
        return normalised
    }

    /// A frame rate written as ffprobe does (`30000/1001`).
    public static func frameRate(_ text: String?) -> Double? { ratio(text) }

    static func ratio(_ text: String?) -> Double? {
        guard let text else { return nil }
        let parts = text.split(separator: text.contains(":") ? ":" : "/")
        guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), a > 0, b > 0 else { return Double(text).flatMap { $0 > 0 ? $0 : nil } }
        return a / b
    }

    static func int(_ value: Any?) -> Int? {
        if let number = value as? Int { return number }
        if let text = value as? String { return Int(text) }
        if let number = value as? Double { return Int(number) }
        return nil
    }

    static func double(_ value: Any?) -> Double? {
        if let number = value as? Double { return number }
        if let number = value as? Int { return Double(number) }
        if let text = value as? String { return Double(text) }
        return nil
    }
}
