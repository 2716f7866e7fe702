import Foundation

/// `video.transcribing` on `clipcut:events`: the video entered ``VideoStatus/transcribing``.
public typealias VideoTranscribingEvent = MessageEnvelope<VideoTranscribingPayload>

/// The fields of a ``VideoTranscribingEvent``.
public struct VideoTranscribingPayload: VideoMessagePayload {
    /// Always `video.transcribing`.
    public static let messageType = MessageType.videoTranscribing
    /// The video it is about.
    public var videoId: VideoID
    /// Language asked of the transcriber (`nil`: the model's own choice).
    public var language: String?
}

extension VideoTranscribingEvent {
    /// Creates the event at the current schema version.
    public init(videoId: VideoID, language: String? = nil, at: Date = Date(), eventId: UUID = UUID()) {
        self.init(Payload(videoId: videoId, language: language), at: at, eventId: eventId)
    }
}

/// `video.transcoding` on `clipcut:events`: the video entered ``VideoStatus/transcoding``.
public typealias VideoTranscodingEvent = MessageEnvelope<VideoTranscodingPayload>

/// The fields of a ``VideoTranscodingEvent``.
public struct VideoTranscodingPayload: VideoMessagePayload {
    /// Always `video.transcoding`.
    public static let messageType = MessageType.videoTranscoding
    /// The video it is about.
    public var videoId: VideoID
    /// The ladder being encoded, best first (`["720p", "480p", "360p"]`).
    @EmptyIfMissing public var rungs: [String]
    /// Source duration from the probe.
    public var durationSeconds: Double?
    /// Source width as displayed (rotation applied).
    public var sourceWidth: Int?
    /// Source height as displayed (rotation applied).
    public var sourceHeight: Int?
}

extension VideoTranscodingEvent {
    /// Creates the event at the current schema version.
    public init(
        videoId: VideoID,
        rungs: [String] = [],
        durationSeconds: Double? = nil,
        sourceWidth: Int? = nil,
        sourceHeight: Int? = nil,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        let payload = Payload(
            videoId: videoId, rungs: rungs, durationSeconds: durationSeconds, sourceWidth: sourceWidth,
            sourceHeight: sourceHeight)
        self.init(payload, at: at, eventId: eventId)
    }
}

/// `video.playable` on `clipcut:events`: the HLS master is stored and every rung it lists has its
/// first segments; the video entered ``VideoStatus/playable`` and plays up to the live edge while
/// the rest is encoded.
public typealias VideoPlayableEvent = MessageEnvelope<VideoPlayablePayload>

/// The fields of a ``VideoPlayableEvent``.
public struct VideoPlayablePayload: VideoMessagePayload {
    /// Always `video.playable`.
    public static let messageType = MessageType.videoPlayable
    /// The video it is about.
    public var videoId: VideoID
    /// The rungs the master playlist lists at that moment, best first; others join as their first
    /// segments land.
    @EmptyIfMissing public var rungs: [String]
    /// Seconds of video playable at that moment (the shortest rung playlist).
    public var playableSeconds: Double?
}

extension VideoPlayableEvent {
    /// Creates the event at the current schema version.
    public init(videoId: VideoID, rungs: [String], playableSeconds: Double? = nil, at: Date = Date(), eventId: UUID = UUID()) {
        self.init(Payload(videoId: videoId, rungs: rungs, playableSeconds: playableSeconds), at: at, eventId: eventId)
    }
}

/// `rendition.ready` on `clipcut:events`: one rung of the ladder is stored and playable.
public typealias RenditionReadyEvent = MessageEnvelope<RenditionReadyPayload>

/// The fields of a ``RenditionReadyEvent``.
public struct RenditionReadyPayload: VideoMessagePayload {
    /// Always `rendition.ready`.
    public static let messageType = MessageType.renditionReady
    /// The video it is about.
    public var videoId: VideoID
    /// The stored rung.
    public var rendition: Rendition
}

extension RenditionReadyEvent {
    /// Creates the event at the current schema version.
    public init(videoId: VideoID, rendition: Rendition, at: Date = Date(), eventId: UUID = UUID()) {
        self.init(Payload(videoId: videoId, rendition: rendition), at: at, eventId: eventId)
    }
}

/// `video.ready` on `clipcut:events`: every rendition is stored; the video entered ``VideoStatus/ready``.
public typealias VideoReadyEvent = MessageEnvelope<VideoReadyPayload>

/// The fields of a ``VideoReadyEvent``.
public struct VideoReadyPayload: VideoMessagePayload {
    /// Always `video.ready`.
    public static let messageType = MessageType.videoReady
    /// The video it is about.
    public var videoId: VideoID
    /// All renditions, best first.
    public var renditions: [Rendition]
    /// Duration in seconds.
    public var durationSeconds: Double?
}

extension VideoReadyEvent {
    /// Creates the event at the current schema version.
    public init(
        videoId: VideoID,
        renditions: [Rendition],
        durationSeconds: Double? = nil,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        let payload = Payload(videoId: videoId, renditions: renditions, durationSeconds: durationSeconds)
        self.init(payload, at: at, eventId: eventId)
    }
}

/// `video.failed` on `clipcut:events`: processing gave up; the video entered ``VideoStatus/failed``.
public typealias VideoFailedEvent = MessageEnvelope<VideoFailedPayload>

/// The fields of a ``VideoFailedEvent``.
public struct VideoFailedPayload: VideoMessagePayload {
    /// Always `video.failed`.
    public static let messageType = MessageType.videoFailed
    /// The video it is about.
    public var videoId: VideoID
    /// Why, in words the owner can read (never a raw tool or library message).
    public var reason: String
}

extension VideoFailedEvent {
    /// Creates the event at the current schema version.
    public init(videoId: VideoID, reason: String, at: Date = Date(), eventId: UUID = UUID()) {
        self.init(Payload(videoId: videoId, reason: reason), at: at, eventId: eventId)
    }
}

/// `video.retried` on `clipcut:events`: an administrator took a dead-lettered job back; the
/// video left ``VideoStatus/failed`` for ``VideoStatus/uploaded`` and its job is queued again
/// with its attempts reset.
public typealias VideoRetriedEvent = MessageEnvelope<VideoRetriedPayload>

/// The fields of a ``VideoRetriedEvent``.
public struct VideoRetriedPayload: VideoMessagePayload {
    /// Always `video.retried`.
    public static let messageType = MessageType.videoRetried
    /// The video it is about.
    public var videoId: VideoID
    /// The reason it had failed with.
    public var previousReason: String?
}

extension VideoRetriedEvent {
    /// Creates the event at the current schema version.
    public init(videoId: VideoID, previousReason: String?, at: Date = Date(), eventId: UUID = UUID()) {
        self.init(Payload(videoId: videoId, previousReason: previousReason), at: at, eventId: eventId)
    }
}
