import Foundation

/// `video.transcribing` on `clipcut:events`: the video entered ``VideoStatus/transcribing``.
public struct VideoTranscribingEvent: VideoMessage {
    /// Always `video.transcribing`.
    public static let messageType = MessageType.videoTranscribing
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// Language asked of the transcriber (`nil`: the model's own choice).
    public var language: String?

    /// Creates the message at the current schema version.
    public init(
        videoId: VideoID,
        language: String? = nil,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.videoId = videoId
        self.at = JSONCoding.normalized(at)
        self.language = language
    }

    enum CodingKeys: String, VideoMessageCodingKey {
        case type, version, eventId, videoId, at, language
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decodeHeader(expecting: Self.messageType)
        version = header.version
        eventId = header.eventId
        at = header.at
        videoId = try c.decode(VideoID.self, forKey: .videoId)
        language = try c.decodeIfPresent(String.self, forKey: .language)
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(videoId, forKey: .videoId)
        try c.encodeIfPresent(language, forKey: .language)
    }
}

/// `video.transcoding` on `clipcut:events`: the video entered ``VideoStatus/transcoding``.
public struct VideoTranscodingEvent: VideoMessage {
    /// Always `video.transcoding`.
    public static let messageType = MessageType.videoTranscoding
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// The ladder being encoded, best first (`["720p", "480p", "360p"]`).
    public var rungs: [String]
    /// Source duration from the probe.
    public var durationSeconds: Double?
    /// Source width as displayed (rotation applied).
    public var sourceWidth: Int?
    /// Source height as displayed (rotation applied).
    public var sourceHeight: Int?

    /// Creates the message at the current schema version.
    public init(
        videoId: VideoID,
        rungs: [String] = [],
        durationSeconds: Double? = nil,
        sourceWidth: Int? = nil,
        sourceHeight: Int? = nil,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.videoId = videoId
        self.at = JSONCoding.normalized(at)
        self.rungs = rungs
        self.durationSeconds = durationSeconds
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
    }

    enum CodingKeys: String, VideoMessageCodingKey {
        case type, version, eventId, videoId, at, rungs, durationSeconds, sourceWidth, sourceHeight
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decodeHeader(expecting: Self.messageType)
        version = header.version
        eventId = header.eventId
        at = header.at
        videoId = try c.decode(VideoID.self, forKey: .videoId)
        rungs = try c.decodeIfPresent([String].self, forKey: .rungs) ?? []
        durationSeconds = try c.decodeIfPresent(Double.self, forKey: .durationSeconds)
        sourceWidth = try c.decodeIfPresent(Int.self, forKey: .sourceWidth)
        sourceHeight = try c.decodeIfPresent(Int.self, forKey: .sourceHeight)
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(videoId, forKey: .videoId)
        try c.encode(rungs, forKey: .rungs)
        try c.encodeIfPresent(durationSeconds, forKey: .durationSeconds)
        try c.encodeIfPresent(sourceWidth, forKey: .sourceWidth)
        try c.encodeIfPresent(sourceHeight, forKey: .sourceHeight)
    }
}

/// `rendition.ready` on `clipcut:events`: one rung of the ladder is stored and playable.
public struct RenditionReadyEvent: VideoMessage {
    /// Always `rendition.ready`.
    public static let messageType = MessageType.renditionReady
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// The stored rung.
    public var rendition: Rendition

    /// Creates the message at the current schema version.
    public init(
        videoId: VideoID,
        rendition: Rendition,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.videoId = videoId
        self.at = JSONCoding.normalized(at)
        self.rendition = rendition
    }

    enum CodingKeys: String, VideoMessageCodingKey {
        case type, version, eventId, videoId, at, rendition
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decodeHeader(expecting: Self.messageType)
        version = header.version
        eventId = header.eventId
        at = header.at
        videoId = try c.decode(VideoID.self, forKey: .videoId)
        rendition = try c.decode(Rendition.self, forKey: .rendition)
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(videoId, forKey: .videoId)
        try c.encode(rendition, forKey: .rendition)
    }
}

/// `video.ready` on `clipcut:events`: every rendition is stored; the video entered ``VideoStatus/ready``.
public struct VideoReadyEvent: VideoMessage {
    /// Always `video.ready`.
    public static let messageType = MessageType.videoReady
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// All renditions, best first.
    public var renditions: [Rendition]
    /// Duration in seconds.
    public var durationSeconds: Double?

    /// Creates the message at the current schema version.
    public init(
        videoId: VideoID,
        renditions: [Rendition],
        durationSeconds: Double? = nil,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.videoId = videoId
        self.at = JSONCoding.normalized(at)
        self.renditions = renditions
        self.durationSeconds = durationSeconds
    }

    enum CodingKeys: String, VideoMessageCodingKey {
        case type, version, eventId, videoId, at, renditions, durationSeconds
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decodeHeader(expecting: Self.messageType)
        version = header.version
        eventId = header.eventId
        at = header.at
        videoId = try c.decode(VideoID.self, forKey: .videoId)
        renditions = try c.decode([Rendition].self, forKey: .renditions)
        durationSeconds = try c.decodeIfPresent(Double.self, forKey: .durationSeconds)
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(videoId, forKey: .videoId)
        try c.encode(renditions, forKey: .renditions)
        try c.encodeIfPresent(durationSeconds, forKey: .durationSeconds)
    }
}

/// `video.failed` on `clipcut:events`: processing gave up; the video entered ``VideoStatus/failed``.
public struct VideoFailedEvent: VideoMessage {
    /// Always `video.failed`.
    public static let messageType = MessageType.videoFailed
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// Why, in words the owner can read (never a raw tool or library message).
    public var reason: String

    /// Creates the message at the current schema version.
    public init(
        videoId: VideoID,
        reason: String,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.videoId = videoId
        self.at = JSONCoding.normalized(at)
        self.reason = reason
    }

    enum CodingKeys: String, VideoMessageCodingKey {
        case type, version, eventId, videoId, at, reason
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decodeHeader(expecting: Self.messageType)
        version = header.version
        eventId = header.eventId
        at = header.at
        videoId = try c.decode(VideoID.self, forKey: .videoId)
        reason = try c.decode(String.self, forKey: .reason)
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(videoId, forKey: .videoId)
        try c.encode(reason, forKey: .reason)
    }
}
