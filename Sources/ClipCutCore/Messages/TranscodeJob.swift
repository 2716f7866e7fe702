import Foundation

/// A job on the stream `clipcut:jobs`: process the stored source of `videoId`.
///
/// upload-service appends it after the `videos` document is written; processing-service reads it in
/// the consumer group `processing`, and acknowledges it only once the video is `ready` or finally
/// `failed`. Everything else the job needs is in the `videos` document.
public typealias TranscodeJob = MessageEnvelope<TranscodeJobPayload>

/// The fields of a ``TranscodeJob``.
public struct TranscodeJobPayload: VideoMessagePayload {
    /// Always `transcode.requested`.
    public static let messageType = MessageType.transcodeRequested
    /// The video to process.
    public var videoId: VideoID
    /// The video's owner.
    public var owner: UserID
}

extension TranscodeJob {
    /// Creates the job at the current schema version.
    public init(videoId: VideoID, owner: UserID, at: Date = Date(), eventId: UUID = UUID()) {
        self.init(Payload(videoId: videoId, owner: owner), at: at, eventId: eventId)
    }
}
