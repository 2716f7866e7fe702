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
    /// Which attempt this is (1 when absent); a retry is queued with the next number.
    public var attempt: Int?
}

extension TranscodeJob {
    /// Creates the job at the current schema version.
    public init(videoId: VideoID, owner: UserID, attempt: Int? = nil, at: Date = Date(), eventId: UUID = UUID()) {
        self.init(Payload(videoId: videoId, owner: owner, attempt: attempt), at: at, eventId: eventId)
    }
}
