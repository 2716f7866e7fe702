import Foundation

/// Any ClipCut job or event, decoded by its `type`.
///
/// Use it where one stream or channel carries several message types:
///
/// ```swift
/// switch try ClipCutEvent.decode(from: data) {
/// case .videoReady(let event): …
/// default: break
/// }
/// ```
///
/// An unknown `type` throws ``MessageDecodingError/unknownType(_:)``; a missing one
/// ``MessageDecodingError/missingType``. A consumer should log and skip (or dead-letter) such
/// messages rather than stop.
public enum ClipCutEvent: Codable, Hashable, Sendable {
    /// `transcode.requested`
    case transcodeRequested(TranscodeJob)
    /// `video.uploaded`
    case videoUploaded(VideoUploadedEvent)
    /// `video.transcribing`
    case videoTranscribing(VideoTranscribingEvent)
    /// `video.transcoding`
    case videoTranscoding(VideoTranscodingEvent)
    /// `video.progress`
    case videoProgress(VideoProgressEvent)
    /// `video.captions`
    case videoCaptions(VideoCaptionsEvent)
    /// `video.playable`
    case videoPlayable(VideoPlayableEvent)
    /// `rendition.ready`
    case renditionReady(RenditionReadyEvent)
    /// `video.ready`
    case videoReady(VideoReadyEvent)
    /// `video.failed`
    case videoFailed(VideoFailedEvent)
    /// `video.retried`
    case videoRetried(VideoRetriedEvent)
    /// `video.deleted`
    case videoDeleted(VideoDeletedEvent)
    /// `user.deleted`
    case userDeleted(UserDeletedEvent)

    /// The wrapped message.
    public var message: any ClipCutMessage {
        switch self {
        case .transcodeRequested(let m): m
        case .videoUploaded(let m): m
        case .videoTranscribing(let m): m
        case .videoTranscoding(let m): m
        case .videoProgress(let m): m
        case .videoCaptions(let m): m
        case .videoPlayable(let m): m
        case .renditionReady(let m): m
        case .videoReady(let m): m
        case .videoFailed(let m): m
        case .videoRetried(let m): m
        case .videoDeleted(let m): m
        case .userDeleted(let m): m
        }
    }

    /// The message's `type`.
    public var type: MessageType { message.type }

    /// The video the message is about; `nil` only for `user.deleted`.
    public var videoId: VideoID? { (message as? any VideoMessage)?.videoId }

    /// The message's unique id.
    public var eventId: UUID { message.eventId }

    /// When it happened.
    public var at: Date { message.at }

    /// Wraps a concrete message; `nil` only for a type conforming to ``ClipCutMessage`` outside
    /// ClipCutCore, which this enum cannot know.
    public init?(_ message: any ClipCutMessage) {
        switch message {
        case let m as TranscodeJob: self = .transcodeRequested(m)
        case let m as VideoUploadedEvent: self = .videoUploaded(m)
        case let m as VideoTranscribingEvent: self = .videoTranscribing(m)
        case let m as VideoTranscodingEvent: self = .videoTranscoding(m)
        case let m as VideoProgressEvent: self = .videoProgress(m)
        case let m as VideoCaptionsEvent: self = .videoCaptions(m)
        case let m as VideoPlayableEvent: self = .videoPlayable(m)
        case let m as RenditionReadyEvent: self = .renditionReady(m)
        case let m as VideoReadyEvent: self = .videoReady(m)
        case let m as VideoFailedEvent: self = .videoFailed(m)
        case let m as VideoRetriedEvent: self = .videoRetried(m)
        case let m as VideoDeletedEvent: self = .videoDeleted(m)
        case let m as UserDeletedEvent: self = .userDeleted(m)
        default: return nil
        }
    }

    private enum TypeKey: String, CodingKey {
        case type
    }

    /// Decodes whichever message the `type` field names.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        guard let rawType = try container.decodeIfPresent(String.self, forKey: .type) else {
            throw MessageDecodingError.missingType
        }
        guard let type = MessageType(rawValue: rawType) else {
            throw MessageDecodingError.unknownType(rawType)
        }
        switch type {
        case .transcodeRequested: self = .transcodeRequested(try TranscodeJob(from: decoder))
        case .videoUploaded: self = .videoUploaded(try VideoUploadedEvent(from: decoder))
        case .videoTranscribing: self = .videoTranscribing(try VideoTranscribingEvent(from: decoder))
        case .videoTranscoding: self = .videoTranscoding(try VideoTranscodingEvent(from: decoder))
        case .videoProgress: self = .videoProgress(try VideoProgressEvent(from: decoder))
        case .videoCaptions: self = .videoCaptions(try VideoCaptionsEvent(from: decoder))
        case .videoPlayable: self = .videoPlayable(try VideoPlayableEvent(from: decoder))
        case .renditionReady: self = .renditionReady(try RenditionReadyEvent(from: decoder))
        case .videoReady: self = .videoReady(try VideoReadyEvent(from: decoder))
        case .videoFailed: self = .videoFailed(try VideoFailedEvent(from: decoder))
        case .videoRetried: self = .videoRetried(try VideoRetriedEvent(from: decoder))
        case .videoDeleted: self = .videoDeleted(try VideoDeletedEvent(from: decoder))
        case .userDeleted: self = .userDeleted(try UserDeletedEvent(from: decoder))
        }
    }

    /// Encodes the wrapped message as it is (flat, with its `type`).
    public func encode(to encoder: any Encoder) throws {
        try message.encode(to: encoder)
    }

    /// Decodes any message from JSON bytes with the shared decoder.
    public static func decode(from data: Data) throws -> ClipCutEvent {
        try JSONCoding.decode(ClipCutEvent.self, from: data)
    }

    /// Decodes any message from a JSON string (as read from a Redis stream field).
    public static func decode(from json: String) throws -> ClipCutEvent {
        try decode(from: Data(json.utf8))
    }

    /// The message as JSON bytes with the shared encoder.
    public func encoded() throws -> Data {
        try JSONCoding.encode(self)
    }
}

extension ClipCutMessage {
    /// The message as JSON bytes with the shared encoder.
    public func encoded() throws -> Data {
        try JSONCoding.encode(self)
    }

    /// The message as a JSON string (for a Redis stream field or a PUBLISH).
    public func jsonString() throws -> String {
        String(decoding: try encoded(), as: UTF8.self)
    }
}
