import ClipCutCore
import Foundation
import Logging
import Redis

/// Per-video revisions shared by every upload-service replica: changed whenever what media
/// delivery relies on changes (``RedisNames/mediaRevision(_:)``), so a replica may keep a video's
/// record and file lookups in memory and still see a deletion or a new file at once.
protocol MediaRevisions: Sendable {
    /// The video's revision now (`nil`: never changed, or long ago).
    func current(_ videoId: VideoID) async throws -> String?
    /// Changes the video's revision.
    func bump(_ videoId: VideoID) async throws
}

extension MediaRevisions {
    /// Bumps, logging a failure instead of throwing: the change itself is done, and the other
    /// replicas' lookups expire within ``MediaLookups``' maximum age anyway.
    func bump(_ videoId: VideoID, logger: Logger) async {
        do {
            try await bump(videoId)
        } catch {
            logger.warning("media revision not bumped; other replicas may serve stale lookups briefly", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
        }
    }
}

/// The `videos` collection with the video's revision bumped after every change to a video.
struct RevisingVideoRepository: VideoRepository {
    let base: any VideoRepository
    let revisions: any MediaRevisions
    let logger: Logger

    private func bump(_ id: VideoID) async { await revisions.bump(id, logger: logger) }

    func insert(_ record: VideoRecord) async throws { try await base.insert(record) }
    func record(id: VideoID) async throws -> VideoRecord? { try await base.record(id: id) }
    func videos(owner: UserID, after cursor: VideoCursor?, limit: Int) async throws -> [Video] {
        try await base.videos(owner: owner, after: cursor, limit: limit)
    }
    func videoIDs(owner: UserID) async throws -> [VideoID] { try await base.videoIDs(owner: owner) }

    func updateDetails(id: VideoID, change: VideoDetailsChange, at: Date) async throws -> Video? {
        let video = try await base.updateDetails(id: id, change: change, at: at)
        await bump(id)
        return video
    }

    func updateProcessing(_ video: Video, expectedStatus: VideoStatus) async throws -> Bool {
        let updated = try await base.updateProcessing(video, expectedStatus: expectedStatus)
        if updated { await bump(video.id) }
        return updated
    }

    func delete(id: VideoID) async throws -> Bool {
        let existed = try await base.delete(id: id)
        await bump(id)
        return existed
    }

    func storedBytes(owner: UserID) async throws -> Int64 { try await base.storedBytes(owner: owner) }
    func storedBytesByOwner() async throws -> [(owner: UserID, bytes: Int64, videos: Int)] { try await base.storedBytesByOwner() }
    func pendingPublication(limit: Int) async throws -> [VideoRecord] { try await base.pendingPublication(limit: limit) }
    func markSent(id: VideoID, _ sent: SentMessages) async throws { try await base.markSent(id: id, sent) }
    func markPublished(id: VideoID) async throws { try await base.markPublished(id: id) }
}
