import Foundation

/// `video.uploaded` on `clipcut:events`: a source is stored in GridFS and its job queued.
public struct VideoUploadedEvent: VideoMessage {
    /// Always `video.uploaded`.
    public static let messageType = MessageType.videoUploaded
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// The uploader.
    public var owner: UserID
    /// Title given at upload.
    public var title: String
    /// Original file name.
    public var filename: String
    /// Source size in bytes.
    public var size: Int64
    /// Source media type, e.g. `video/mp4`.
    public var contentType: String
    /// Lowercase hex SHA-256 of the source.
    public var sha256: String

    /// Creates the message at the current schema version.
    public init(
        videoId: VideoID,
        owner: UserID,
        title: String,
        filename: String,
        size: Int64,
        contentType: String,
        sha256: String,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.videoId = videoId
        self.at = JSONCoding.normalized(at)
        self.owner = owner
        self.title = title
        self.filename = filename
        self.size = size
        self.contentType = contentType
        self.sha256 = sha256
    }

    enum CodingKeys: String, VideoMessageCodingKey {
        case type, version, eventId, videoId, at, owner, title, filename, size, contentType, sha256
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
        title = try c.decode(String.self, forKey: .title)
        filename = try c.decode(String.self, forKey: .filename)
        size = try c.decode(Int64.self, forKey: .size)
        contentType = try c.decode(String.self, forKey: .contentType)
        sha256 = try c.decode(String.self, forKey: .sha256)
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(videoId, forKey: .videoId)
        try c.encode(owner, forKey: .owner)
        try c.encode(title, forKey: .title)
        try c.encode(filename, forKey: .filename)
        try c.encode(size, forKey: .size)
        try c.encode(contentType, forKey: .contentType)
        try c.encode(sha256, forKey: .sha256)
    }
}

/// `video.deleted` on `clipcut:events`: the video and all its media are gone.
public struct VideoDeletedEvent: VideoMessage {
    /// Always `video.deleted`.
    public static let messageType = MessageType.videoDeleted
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// The video it is about.
    public var videoId: VideoID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// The owner the video belonged to.
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

/// `user.deleted` on `clipcut:events`: an account was deleted.
///
/// It is about a user, not one video, so it has no `videoId`. upload-service reacts by deleting
/// every video of that user, publishing a `video.deleted` for each.
public struct UserDeletedEvent: ClipCutMessage {
    /// Always `user.deleted`.
    public static let messageType = MessageType.userDeleted
    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// The deleted account.
    public var userId: UserID

    /// Creates the message at the current schema version.
    public init(
        userId: UserID,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.at = JSONCoding.normalized(at)
        self.userId = userId
    }

    enum CodingKeys: String, MessageCodingKey {
        case type, version, eventId, at, userId
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decodeHeader(expecting: Self.messageType)
        version = header.version
        eventId = header.eventId
        at = header.at
        userId = try c.decode(UserID.self, forKey: .userId)
    }

    /// Encodes the message with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeHeader(of: self)
        try c.encode(userId, forKey: .userId)
    }
}
