import Foundation

/// A job on the stream `clipcut:jobs`: process the stored source of `videoId`.
///
/// upload-service appends it after the `videos` document is written; processing-service reads it in
/// the consumer group `processing`, and acknowledges it only once the video is `ready` or finally
/// `failed`. Everything else the job needs is in the `videos` document.
public struct TranscodeJob: VideoMessage {
    /// Always `transcode.requested`.
    public static let messageType = MessageType.transcodeRequested
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// The video's owner.
    public var owner: UserID

    /// Creates the message at the current schema version.
    public init(
        videoId: VideoID,
        owner: UserID,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.videoId = videoId
        self.at = JSONCoding.normalized(at)
        self.owner = owner
    }

    enum CodingKeys: String, VideoMessageCodingKey {
        case type, version, eventId, videoId, at, owner
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decodeHeader(expecting: Self.messageType)
        version = header.version
        eventId = header.eventId
        at = header.at
        videoId = try c.decode(VideoID.self, forKey: .videoId)
        owner = try c.decode(UserID.self, forKey: .owner)
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(videoId, forKey: .videoId)
        try c.encode(owner, forKey: .owner)
    }
}
