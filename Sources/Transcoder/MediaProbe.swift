import Foundation

/// What ffprobe says about a source, reduced to what the ladder needs.
///
/// Every number in ffprobe's report comes from the uploaded file and is untrusted: the parser
/// (``init(ffprobeJSON:)``, in `MediaProbe+Parsing.swift`) keeps only finite values in a sane
/// range, replaces the rest with a neutral default and says so in ``notes``, and never converts a
/// `Double` to an `Int` that cannot hold it. Limits a person chose (the longest duration, the
/// largest frame) are ``MediaPolicy``'s, checked after parsing.
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
        /// Whether ``frameRate`` is a default put in place of a missing or absurd declared rate:
        /// the encode then sets the rate itself instead of following the file's timestamps.
        public var frameRateIsAssumed: Bool = false
        /// Bit rate in bits per second, if known.
        public var bitRate: Int?
        /// Pixel format, e.g. `yuv420p`.
        public var pixelFormat: String?

        /// Creates a stream description (tests, planning).
        public init(
            codec: String, width: Int, height: Int, rotation: Int = 0, sampleAspectRatio: Double = 1, frameRate: Double,
            frameRateIsAssumed: Bool = false, bitRate: Int? = nil, pixelFormat: String? = nil
        ) {
            self.codec = codec
            self.width = width
            self.height = height
            self.rotation = rotation
            self.sampleAspectRatio = sampleAspectRatio
            self.frameRate = frameRate
            self.frameRateIsAssumed = frameRateIsAssumed
            self.bitRate = bitRate
            self.pixelFormat = pixelFormat
        }

        /// Width as displayed: rotation and sample aspect ratio applied.
        public var displayWidth: Int {
            let width = Double(rotation % 180 == 0 ? self.width : self.height)
            return Int(clampingRounded: rotation % 180 == 0 ? width * sampleAspectRatio : width)
        }

        /// Height as displayed: rotation and sample aspect ratio applied.
        public var displayHeight: Int {
            let height = Double(rotation % 180 == 0 ? self.height : self.width)
            return Int(clampingRounded: rotation % 180 == 0 ? height : height * sampleAspectRatio)
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

    /// Duration in seconds: finite, and positive once known (0 when the file declares none that
    /// is usable; ``hasDuration``).
    public var duration: Double
    /// Container format names, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    public var formatName: String
    /// Overall bit rate, if known.
    public var bitRate: Int?
    /// The first video stream that is a moving picture (attached pictures do not count).
    public var video: VideoStream?
    public var audio: AudioStream?
    /// How many streams the file has, of every kind.
    public var streamCount: Int = 0
    /// Values ffprobe reported that were ignored, and why (for the logs, not for the owner).
    public var notes: [String] = []

    /// Whether the duration is known.
    public var hasDuration: Bool { duration > 0 }

    /// Whether the file is sound only: it becomes an audio video (a picture with the sound).
    public var isAudioOnly: Bool { video == nil && audio != nil }

    /// Why a file cannot be processed. ``description`` is the failure reason its owner reads.
    public enum Rejection: Error, Equatable, Sendable, CustomStringConvertible {
        /// No video and no audio stream: a subtitle, data or picture file, or not media at all.
        case notAVideo
        /// ffprobe could not read the container, or a stream it declares is unusable.
        case damaged
        /// Neither the container nor a stream says how long it is.
        case noDuration
        /// Past ``MediaPolicy/maximumDuration``.
        case tooLong(seconds: Double, limit: Double)
        /// Past ``MediaPolicy/maximumWidth``/``MediaPolicy/maximumHeight`` or ``MediaPolicy/maximumPixels``.
        case frameTooLarge(width: Int, height: Int, policy: String)
        /// Past ``MediaPolicy/maximumStreams``.
        case tooManyStreams(count: Int, limit: Int)

        public var description: String {
            switch self {
            case .notAVideo: "not a video: the file has no video or audio stream"
            case .damaged: "the file is damaged or incomplete"
            case .noDuration: "the video has no duration"
            case .tooLong(let seconds, let limit):
                "the video is \(MediaPolicy.describe(seconds: seconds)) long; the limit is \(MediaPolicy.describe(seconds: limit))"
            case .frameTooLarge(let width, let height, let policy):
                "the frame is \(width)×\(height); the limit is \(policy)"
            case .tooManyStreams(let count, let limit):
                "the file has \(count) streams; the limit is \(limit)"
            }
        }
    }

    /// Creates a probe result directly (tests, planning).
    public init(duration: Double, formatName: String = "mp4", bitRate: Int? = nil, video: VideoStream?, audio: AudioStream?) {
        self.duration = duration
        self.formatName = formatName
        self.bitRate = bitRate
        self.video = video
        self.audio = audio
        self.streamCount = (video == nil ? 0 : 1) + (audio == nil ? 0 : 1)
    }

    /// A frame rate written as ffprobe does (`30000/1001`): finite, above 0 and at most 1,000, else `nil`.
    public static func frameRate(_ text: String?) -> Double? {
        ratio(text).flatMap { $0 <= 1000 ? $0 : nil }
    }
}
