import ClipCutCore
import Foundation
import Jobs
import Logging
import ServiceSupport

/// Everything upload-service's routes use, each behind a small protocol so router tests can
/// put in-memory versions in.
struct UploadServiceDependencies: Sendable {
    /// The `videos` collection.
    var repository: any VideoRepository
    /// GridFS.
    var storage: any MediaStorage
    /// Unfinished tus uploads.
    var tusUploads: any TusUploadRepository
    /// Jobs and events to Redis, with the outbox.
    var publication: VideoPublication
    /// Media URL tokens.
    var playbackTokens: PlaybackTokens
    /// Access-token verification.
    var verifier: AccessTokenVerifier
    /// Bytes of sources a user may keep.
    var quotaBytes: Int64
    /// Largest single upload.
    var maximumUploadBytes: Int64
    /// How long an unfinished tus upload lives after its last write.
    var tusExpiry: Duration
    /// For what the routes log.
    var logger: Logger
    /// The token processing-service presents on the internal routes (unset: none required).
    var serviceToken: String? = nil
    /// Upload bodies received at once, and how long one may pause.
    var admission = UploadAdmission(perUser: 4, perReplica: 64, idleLimit: .seconds(30))
    /// Asks processing-service to re-mux the MP4s after the owner changed a caption track.
    var captionRemux: any CaptionRemuxRequester
    /// The local copies of media files (none: every read from GridFS).
    var mediaCache: MediaCache? = nil
    /// Per-video revisions, for keeping media lookups in memory (none: every lookup from MongoDB).
    var mediaRevisions: (any MediaRevisions)? = nil
    /// Confirms the administrator's role with user-service (the token's claim alone is not enough).
    var adminCheck: any AdminRoleCheck = KnownAdmins()
    /// The job queue's dead letters, for administrators to retry or discard.
    var jobs: any JobQueueInspector = MemoryJobQueue(store: .init(), consumer: "none", claimIdle: .seconds(60))
    /// Where a captioning run for a ready video is scheduled (processing-service takes it).
    var captionRetries: any CaptionRetrySchedule = MemoryCaptionRetrySchedule()

    /// What `owner` may still upload; the unfinished tus uploads of `owner` count as used,
    /// except `excludingUpload` (the one being completed).
    func allowance(for owner: UserID, excludingUpload: String? = nil) async throws -> UploadAllowance {
        let stored = try await repository.storedBytes(owner: owner)
        let reserved = try await tusUploads.reservedBytes(owner: owner, excluding: excludingUpload)
        return UploadAllowance(quotaLeft: quotaBytes - stored - reserved, maximumFileSize: maximumUploadBytes)
    }

    /// Records a stored source as a new video and queues its job. If the owner's quota was
    /// used up meanwhile by another upload, the source is deleted and 413 thrown.
    func register(
        videoId: VideoID, owner: UserID, title: String, description: String, filename: String,
        intake: IntakeResult, source: StoredFile, burnSubtitles: Bool = false, speechLanguage: String? = nil,
        excludingUpload: String? = nil
    ) async throws -> Video {
        let allowance: UploadAllowance
        do {
            allowance = try await self.allowance(for: owner, excludingUpload: excludingUpload)
            try allowance.check(intake.size)
        } catch {
            try? await storage.deleteSource(id: source.id)
            throw error
        }
        var video = Video(
            id: videoId, owner: owner, title: title, description: description, filename: filename,
            size: intake.size, sha256: intake.sha256, contentType: intake.container.mediaType, burnSubtitles: burnSubtitles)
        video.speechLanguage = speechLanguage
        do {
            try await repository.insert(VideoRecord(video: video, sourceFileID: source.id, publishPending: true))
        } catch {
            // Registered already (a repeated completion, another replica): the same video, and
            // the source stays with it. Only a source no video holds is removed.
            if let existing = try? await repository.record(id: videoId) {
                if existing.sourceFileID == source.id && existing.video.owner == owner { return existing.video }
                throw error
            }
            try? await storage.deleteSource(id: source.id)
            throw error
        }
        await publication.publishUpload(of: video)
        logger.info("video uploaded", metadata: ["videoId": "\(video.id)", "size": "\(video.size)"])
        return video
    }

    /// Deletes a video with all its media and announces it (`video.deleted`).
    func deleteVideo(_ record: VideoRecord) async throws {
        let video = record.video
        try await storage.deleteMedia(of: video.id)
        if !record.sourceFileID.isEmpty {
            try await storage.deleteSource(id: record.sourceFileID)
        }
        try await repository.delete(id: video.id)
        try await publication.publish(VideoDeletedEvent(videoId: video.id, owner: video.owner))
        logger.info("video deleted", metadata: ["videoId": "\(video.id)"])
    }
}
