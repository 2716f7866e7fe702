import Foundation

/// The `type` field of every job and event on Redis.
///
/// Jobs go to the stream `clipcut:jobs`; lifecycle events to the stream `clipcut:events`;
/// `video.progress` goes to the pub/sub channel `clipcut:progress:<videoId>` and the capped stream
/// `clipcut:log:<videoId>` (see ``RedisNames``).
public enum MessageType: String, Codable, Sendable, CaseIterable {
    /// ``TranscodeJob``: upload-service asks processing-service to process a video.
    case transcodeRequested = "transcode.requested"
    /// ``VideoUploadedEvent``: a source is stored and its job queued.
    case videoUploaded = "video.uploaded"
    /// ``VideoTranscribingEvent``: the video entered `transcribing`.
    case videoTranscribing = "video.transcribing"
    /// ``VideoTranscodingEvent``: the video entered `transcoding`.
    case videoTranscoding = "video.transcoding"
    /// ``VideoProgressEvent``: live progress of the current stage.
    case videoProgress = "video.progress"
    /// ``VideoCaptionsEvent``: the captions changed state.
    case videoCaptions = "video.captions"
    /// ``VideoPlayableEvent``: the first HLS segments are stored; the video entered `playable`.
    case videoPlayable = "video.playable"
    /// ``RenditionReadyEvent``: one rung of the ladder is stored.
    case renditionReady = "rendition.ready"
    /// ``VideoReadyEvent``: every rendition is stored; the video is playable.
    case videoReady = "video.ready"
    /// ``VideoFailedEvent``: processing gave up.
    case videoFailed = "video.failed"
    /// ``VideoRetriedEvent``: an administrator sent a failed video's job back to the queue.
    case videoRetried = "video.retried"
    /// ``VideoDeletedEvent``: the owner deleted the video and its media.
    case videoDeleted = "video.deleted"
    /// ``UserDeletedEvent``: an account was deleted; its videos must go too.
    case userDeleted = "user.deleted"
}

/// What every job and event has in common.
///
/// On the wire each is one flat JSON object:
/// `{"type": "video.failed", "version": 1, "eventId": "…", "videoId": "…", "at": "2025-…Z", …}`.
///
/// - `type`: the ``MessageType``; decoding a message as the wrong type fails.
/// - `version`: the schema version of that type, currently 1. Later versions only add optional
///   fields, so a consumer decodes any version it does not know yet by ignoring what it does not
///   know; a missing `version` decodes as 1.
/// - `eventId`: a random UUID chosen by the producer (required), so consumers can apply a message
///   exactly once even when it is delivered twice (a retried XADD, an outbox sweep).
/// - `at`: when it happened, ISO-8601 with milliseconds (see ``JSONCoding``).
/// - `videoId`: present on every message except `user.deleted` (see ``VideoMessage``).
///
/// Every message type in ClipCutCore is a ``MessageEnvelope`` around a ``MessagePayload``: the
/// envelope holds, writes and checks the fields above, the payload the fields its type adds
/// (`TranscodeJob` is `MessageEnvelope<TranscodeJobPayload>`, and so on).
public protocol ClipCutMessage: Codable, Hashable, Sendable {
    /// The `type` written for this message.
    static var messageType: MessageType { get }
    /// The schema version this code writes.
    static var currentVersion: Int { get }
    /// The schema version the message was written with.
    var version: Int { get }
    /// Unique id of this message, for idempotent consumers.
    var eventId: UUID { get }
    /// When it happened (whole milliseconds).
    var at: Date { get }
}

extension ClipCutMessage {
    /// Every message type is at version 1 so far.
    public static var currentVersion: Int { 1 }

    /// The `type` written for this message.
    public var type: MessageType { Self.messageType }
}

/// A message about one video: every message type except `user.deleted`.
public protocol VideoMessage: ClipCutMessage {
    /// The video it is about.
    var videoId: VideoID { get }
}

/// Thrown when a message's `type` cannot be decoded.
public enum MessageDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The JSON object has no `type` field.
    case missingType
    /// The `type` is not one this version of ClipCut knows.
    case unknownType(String)
    /// The message was decoded as one type but says it is another.
    case typeMismatch(expected: MessageType, found: String)

    /// A readable description for logs.
    public var description: String {
        switch self {
        case .missingType: "message has no \"type\" field"
        case .unknownType(let type): "unknown message type \"\(type)\""
        case .typeMismatch(let expected, let found): "expected message type \"\(expected.rawValue)\", found \"\(found)\""
        }
    }
}
