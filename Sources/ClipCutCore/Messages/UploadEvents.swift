import Foundation

/// `video.uploaded` on `clipcut:events`: a source is stored in GridFS and its job queued.
public typealias VideoUploadedEvent = MessageEnvelope<VideoUploadedPayload>

/// The fields of a ``VideoUploadedEvent``.
public struct VideoUploadedPayload: VideoMessagePayload {
    /// Always `video.uploaded`.
    public static let messageType = MessageType.videoUploaded
    /// The video it is about.
    public var videoId: VideoID
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
}

extension VideoUploadedEvent {
    /// Creates the event at the current schema version.
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
        let payload = Payload(
            videoId: videoId, owner: owner, title: title, filename: filename, size: size,
            contentType: contentType, sha256: sha256)
        self.init(payload, at: at, eventId: eventId)
    }
}

/// `video.deleted` on `clipcut:events`: the video and all its media are gone.
public typealias VideoDeletedEvent = MessageEnvelope<VideoDeletedPayload>

/// The fields of a ``VideoDeletedEvent``.
public struct VideoDeletedPayload: VideoMessagePayload {
    /// Always `video.deleted`.
    public static let messageType = MessageType.videoDeleted
    /// The deleted video.
    public var videoId: VideoID
    /// The owner the video belonged to.
    public var owner: UserID
}

extension VideoDeletedEvent {
    /// Creates the event at the current schema version.
    public init(videoId: VideoID, owner: UserID, at: Date = Date(), eventId: UUID = UUID()) {
        self.init(Payload(videoId: videoId, owner: owner), at: at, eventId: eventId)
    }
}

/// `user.deleted` on `clipcut:events`: an account was deleted.
///
/// It is about a user, not one video, so it has no `videoId`. upload-service reacts by deleting
/// every video of that user, publishing a `video.deleted` for each.
public typealias UserDeletedEvent = MessageEnvelope<UserDeletedPayload>

/// The fields of a ``UserDeletedEvent``.
public struct UserDeletedPayload: MessagePayload {
    /// Always `user.deleted`.
    public static let messageType = MessageType.userDeleted
    /// The deleted account.
    public var userId: UserID
}

extension UserDeletedEvent {
    /// Creates the event at the current schema version.
    public init(userId: UserID, at: Date = Date(), eventId: UUID = UUID()) {
        self.init(Payload(userId: userId), at: at, eventId: eventId)
    }
}
