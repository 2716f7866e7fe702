import Foundation

/// `video.progress`: live progress of the current stage.
///
/// Published on the pub/sub channel `clipcut:progress:<videoId>` (at most a few a second) and
/// appended to the capped stream `clipcut:log:<videoId>`, so a late viewer can replay it.
public struct VideoProgressEvent: VideoMessage {
    /// Always `video.progress`.
    public static let messageType = MessageType.videoProgress
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// The stage running.
    public var stage: ProcessingStage
    /// The rung being encoded, if the stage works per rung.
    public var rung: String?
    /// Progress of the stage, 0...100.
    public var percent: Double
    /// Frames encoded per second.
    public var fps: Double?
    /// Encoding speed as a multiple of real time (ffmpeg's `speed=`).
    public var speed: Double?
    /// Estimated seconds until the stage ends.
    public var etaSeconds: Double?
    /// A log line for the owner's console.
    public var logLine: String?

    /// Creates the message at the current schema version.
    public init(
        videoId: VideoID,
        stage: ProcessingStage,
        rung: String? = nil,
        percent: Double,
        fps: Double? = nil,
        speed: Double? = nil,
        etaSeconds: Double? = nil,
        logLine: String? = nil,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.videoId = videoId
        self.at = JSONCoding.normalized(at)
        self.stage = stage
        self.rung = rung
        self.percent = percent
        self.fps = fps
        self.speed = speed
        self.etaSeconds = etaSeconds
        self.logLine = logLine
    }

    enum CodingKeys: String, VideoMessageCodingKey {
        case type, version, eventId, videoId, at, stage, rung, percent, fps, speed, etaSeconds, logLine
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decodeHeader(expecting: Self.messageType)
        version = header.version
        eventId = header.eventId
        at = header.at
        videoId = try c.decode(VideoID.self, forKey: .videoId)
        stage = try c.decode(ProcessingStage.self, forKey: .stage)
        rung = try c.decodeIfPresent(String.self, forKey: .rung)
        percent = try c.decode(Double.self, forKey: .percent)
        fps = try c.decodeIfPresent(Double.self, forKey: .fps)
        speed = try c.decodeIfPresent(Double.self, forKey: .speed)
        etaSeconds = try c.decodeIfPresent(Double.self, forKey: .etaSeconds)
        logLine = try c.decodeIfPresent(String.self, forKey: .logLine)
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(videoId, forKey: .videoId)
        try c.encode(stage, forKey: .stage)
        try c.encodeIfPresent(rung, forKey: .rung)
        try c.encode(percent, forKey: .percent)
        try c.encodeIfPresent(fps, forKey: .fps)
        try c.encodeIfPresent(speed, forKey: .speed)
        try c.encodeIfPresent(etaSeconds, forKey: .etaSeconds)
        try c.encodeIfPresent(logLine, forKey: .logLine)
    }
}

/// `video.captions` on `clipcut:events`: the video's captions changed state.
public struct VideoCaptionsEvent: VideoMessage {
    /// Always `video.captions`.
    public static let messageType = MessageType.videoCaptions
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// `ready`, `pending` (will be retried) or `failed`.
    public var state: CaptionState
    /// Language of the track (ISO 639-1, e.g. `"en"`).
    public var language: String
    /// The transcript as timed cues when `state` is `ready` (for search); else empty.
    public var cues: [CaptionCue]

    /// Creates the message at the current schema version.
    public init(
        videoId: VideoID,
        state: CaptionState,
        language: String,
        cues: [CaptionCue] = [],
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.videoId = videoId
        self.at = JSONCoding.normalized(at)
        self.state = state
        self.language = language
        self.cues = cues
    }

    enum CodingKeys: String, VideoMessageCodingKey {
        case type, version, eventId, videoId, at, state, language, cues
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decodeHeader(expecting: Self.messageType)
        version = header.version
        eventId = header.eventId
        at = header.at
        videoId = try c.decode(VideoID.self, forKey: .videoId)
        state = try c.decode(CaptionState.self, forKey: .state)
        language = try c.decode(String.self, forKey: .language)
        cues = try c.decodeIfPresent([CaptionCue].self, forKey: .cues) ?? []
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(videoId, forKey: .videoId)
        try c.encode(state, forKey: .state)
        try c.encode(language, forKey: .language)
        try c.encode(cues, forKey: .cues)
    }
}

/// A stage of processing named in ``VideoProgressEvent``.
///
/// A string-backed value rather than a closed enum, so a consumer built before a new stage was
/// added still decodes the event.
public struct ProcessingStage: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The wire name, e.g. `"transcoding"`.
    public var rawValue: String

    /// Wraps a wire name.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps a wire name written as a literal.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    /// The wire name.
    public var description: String { rawValue }

    /// Decodes from a plain string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes as a plain string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Waiting in the queue.
    public static let queued: ProcessingStage = "queued"
    /// Reading the source's streams with ffprobe.
    public static let probing: ProcessingStage = "probing"
    /// Extracting 16 kHz mono audio for the transcriber.
    public static let extractingAudio: ProcessingStage = "extracting_audio"
    /// Speech to text in audio-service.
    public static let transcribing: ProcessingStage = "transcribing"
    /// Encoding the ladder.
    public static let transcoding: ProcessingStage = "transcoding"
    /// Remuxing into MP4 and HLS, poster and storyboard.
    public static let packaging: ProcessingStage = "packaging"
    /// Writing outputs to GridFS.
    public static let storing: ProcessingStage = "storing"
}

/// One timed line of a transcript.
public struct CaptionCue: Codable, Hashable, Sendable {
    /// Start in seconds from the beginning of the video.
    public var start: Double
    /// End in seconds from the beginning of the video.
    public var end: Double
    /// The words spoken.
    public var text: String

    /// Creates a cue.
    public init(start: Double, end: Double, text: String) {
        self.start = start
        self.end = end
        self.text = text
    }
}
