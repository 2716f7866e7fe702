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
    /// ``RenditionReadyEvent``: one rung of the ladder is stored.
    case renditionReady = "rendition.ready"
    /// ``VideoReadyEvent``: every rendition is stored; the video is playable.
    case videoReady = "video.ready"
    /// ``VideoFailedEvent``: processing gave up.
    case videoFailed = "video.failed"
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

// MARK: - Shared coding of the common fields

/// Coding keys of a message type: every message type's `CodingKeys` has these cases.
protocol MessageCodingKey: CodingKey {
    static var type: Self { get }
    static var version: Self { get }
    static var eventId: Self { get }
    static var at: Self { get }
}

/// Coding keys of a message about one video.
protocol VideoMessageCodingKey: MessageCodingKey {
    static var videoId: Self { get }
}

/// The common fields read back from a message.
struct MessageHeader {
    var version: Int
    var eventId: UUID
    var at: Date
}

extension KeyedDecodingContainer where Key: MessageCodingKey {
    /// Checks `type` against `expected` and reads `version`, `eventId` and `at`.
    func decodeHeader(expecting expected: MessageType) throws -> MessageHeader {
        guard let found = try decodeIfPresent(String.self, forKey: .type) else {
            throw MessageDecodingError.missingType
        }
        guard found == expected.rawValue else {
            throw MessageDecodingError.typeMismatch(expected: expected, found: found)
        }
        return MessageHeader(
            version: try decodeIfPresent(Int.self, forKey: .version) ?? 1,
            eventId: try decode(UUID.self, forKey: .eventId),
            at: JSONCoding.normalized(try decode(Date.self, forKey: .at))
        )
    }
}

extension KeyedEncodingContainer where Key: MessageCodingKey {
    /// Writes `type`, `version`, `eventId` and `at` of `message`.
    mutating func encodeHeader(of message: some ClipCutMessage) throws {
        try encode(message.type, forKey: .type)
        try encode(message.version, forKey: .version)
        try encode(message.eventId, forKey: .eventId)
        try encode(message.at, forKey: .at)
    }
}
