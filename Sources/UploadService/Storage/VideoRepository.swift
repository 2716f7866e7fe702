import ClipCutCore
import Foundation
import ServiceSupport

/// A `videos` document: the ``Video`` a client sees plus what only upload-service needs.
struct VideoRecord: Sendable, Equatable {
    /// The video as the API returns it.
    var video: Video
    /// Id of the source file in the `uploads` bucket.
    var sourceFileID: String
    /// `true` until the transcode job and `video.uploaded` event are on Redis, durably (the
    /// outbox flag).
    var publishPending: Bool
    /// The entries appended for them and waiting to be confirmed (see ``SentMessages``).
    var sent: SentMessages? = nil
}

/// Position in a listing: after the video created at `createdAt` with id `id` (newest first).
struct VideoCursor: Sendable, Equatable {
    var createdAt: Date
    var id: VideoID

    /// The opaque text form clients pass back in `cursor=`.
    var token: String {
        let text = "\(Int64((createdAt.timeIntervalSince1970 * 1000).rounded()))|\(id)"
        return Base64URL.encode(Data(text.utf8))
    }

    init(createdAt: Date, id: VideoID) {
        self.createdAt = createdAt
        self.id = id
    }

    /// Parses a cursor from a client; `nil` for anything forged or malformed.
    init?(token: String) {
        guard token.utf8.count <= 120 else { return nil }
        guard let data = Base64URL.decode(Substring(token)), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|")
        guard parts.count == 2, let millis = Int64(parts[0]), millis >= 0, let id = VideoID(String(parts[1])) else { return nil }
        self.init(createdAt: Date(timeIntervalSince1970: TimeInterval(millis) / 1000), id: id)
    }
}

/// Changes an owner may make to a video.
struct VideoDetailsChange: Sendable, Equatable {
    var title: String?
    var description: String?
    var visibility: VideoVisibility?
}

/// The `videos` collection.
protocol VideoRepository: Sendable {
    /// Stores a new video. A second insert of the same id throws.
    func insert(_ record: VideoRecord) async throws
    /// The video with this id.
    func record(id: VideoID) async throws -> VideoRecord?
    /// The owner's videos, newest first, after `cursor`, at most `limit`.
    func videos(owner: UserID, after cursor: VideoCursor?, limit: Int) async throws -> [Video]
    /// Every video id of an owner (for deleting an account's media).
    func videoIDs(owner: UserID) async throws -> [VideoID]
    /// Applies an owner's change; returns the updated video, or `nil` if it does not exist.
    func updateDetails(id: VideoID, change: VideoDetailsChange, at: Date) async throws -> Video?
    /// Replaces the processing fields (status, failure, probe results, renditions, captions)
    /// if the stored status is still `expected`; returns whether it was.
    func updateProcessing(_ video: Video, expectedStatus: VideoStatus) async throws -> Bool
    /// Removes the document; returns whether it existed.
    @discardableResult
    func delete(id: VideoID) async throws -> Bool
    /// Bytes of sources the owner stores.
    func storedBytes(owner: UserID) async throws -> Int64
    /// Every owner's stored source bytes and number of videos (owners with none are absent).
    func storedBytesByOwner() async throws -> [(owner: UserID, bytes: Int64, videos: Int)]
    /// Videos whose job is not yet durably on Redis, oldest first.
    func pendingPublication(limit: Int) async throws -> [VideoRecord]
    /// Records the entries appended for a video's job and event, to be confirmed later.
    func markSent(id: VideoID, _ sent: SentMessages) async throws
    /// Clears the outbox flag (and what was sent): the messages are durable.
    func markPublished(id: VideoID) async throws
}
