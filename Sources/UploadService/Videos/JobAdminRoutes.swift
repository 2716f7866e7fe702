import ClipCutCore
import Foundation
import Hummingbird
import Jobs
import ServiceSupport

/// What administrators do about jobs and storage, in the service that owns videos and queues
/// their jobs (every route behind ``ConfirmAdminMiddleware``):
///
/// - `GET /api/jobs/dead`: the dead-lettered jobs, newest first, with reasons and attempts.
/// - `POST /api/jobs/dead/{id}/retry`: the job back on `clipcut:jobs` with its attempts reset,
///   the video back to `uploaded` (`video.retried`), the dead letter removed.
/// - `DELETE /api/jobs/dead/{id}`: the dead letter discarded; the video stays `failed`.
/// - `POST /api/videos/{id}/captions/rerun`: whisper.cpp hears a ready video again.
/// - `GET /api/videos/usage/owners`: each owner's stored bytes against the quota.
struct JobAdminRoutes: Sendable {
    let dependencies: UploadServiceDependencies

    func add(to group: RouterGroup<ClipCutRequestContext>) {
        group.get("jobs/dead", use: deadLetters)
        group.post("jobs/dead/:id/retry", use: retry)
        group.delete("jobs/dead/:id", use: discard)
        group.post("videos/:id/captions/rerun", use: rerunCaptions)
        group.get("videos/usage/owners", use: usageByOwner)
    }

    /// One dead letter as `GET /api/jobs/dead` lists it.
    struct DeadLetter: Codable, Sendable, Equatable {
        var id: String
        var videoId: VideoID?
        var owner: UserID?
        var reason: String
        var attempts: Int
        var failedAt: Date
        /// The video's status now; `nil` when it no longer exists.
        var videoStatus: VideoStatus?
    }

    struct DeadLetters: Codable, Sendable {
        var deadLetters: [DeadLetter]
    }

    struct Retried: Codable, Sendable {
        var videoId: VideoID
        var status: VideoStatus
    }

    struct CaptionsRerun: Codable, Sendable {
        var videoId: VideoID
        var captions: CaptionState
    }

    struct OwnerUsage: Codable, Sendable, Equatable {
        var owner: UserID
        var storedBytes: Int64
        var videos: Int
    }

    struct UsageByOwner: Codable, Sendable {
        var quotaBytes: Int64
        var owners: [OwnerUsage]
    }

    static let noSuchDeadLetter = APIError(.notFound, code: "not_found", message: "There is no such dead-lettered job.")

    @Sendable func deadLetters(request: Request, context: ClipCutRequestContext) async throws -> Response {
        var listed: [DeadLetter] = []
        for entry in try await dependencies.jobs.deadLetters(limit: 100) {
            let status = try await entry.job.asyncFlatMap { try await dependencies.repository.record(id: $0.payload.videoId)?.video.status }
            listed.append(DeadLetter(
                id: entry.id, videoId: entry.job?.payload.videoId, owner: entry.job?.payload.owner, reason: entry.reason,
                attempts: entry.attempts, failedAt: entry.at, videoStatus: status))
        }
        return jsonResponse(DeadLetters(deadLetters: listed))
    }

    @Sendable func retry(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let id = try Self.deadLetterID(context)
        guard let dead = try await dependencies.jobs.deadLetter(id: id) else { throw Self.noSuchDeadLetter }
        guard let job = dead.job else {
            throw APIError(.conflict, code: "not_retryable", message: "This dead letter is not a readable job; discard it.")
        }
        let videoId = job.payload.videoId
        guard let record = try await dependencies.repository.record(id: videoId) else {
            throw APIError(.conflict, code: "video_gone", message: "The video was deleted; discard the dead letter.")
        }
        var video = record.video
        let previousReason = video.failureReason
        switch video.status {
        case .failed:
            video.status = .uploaded
            video.failureReason = nil
            video.renditions = []
            video.updatedAt = JSONCoding.normalized(Date())
            guard try await dependencies.repository.updateProcessing(video, expectedStatus: .failed) else {
                throw APIError(.conflict, code: "not_failed", message: "The video's status changed meanwhile.")
            }
        case .uploaded:
            break  // a retry that stopped before the dead letter was removed: finish it
        default:
            throw APIError(.conflict, code: "not_failed", message: "The video is \(video.status.rawValue), not failed.")
        }
        // Ids derived from the dead letter: a retry repeated after a crash repeats the same
        // messages, which the outbox and consumers take once.
        let next = TranscodeJob(
            videoId: videoId, owner: job.payload.owner, eventId: UUID.derived(from: "transcode.retried|\(id)"))
        try await dependencies.publication.publish(next, to: RedisNames.jobsStream)
        try await dependencies.publication.publish(VideoRetriedEvent(
            videoId: videoId, previousReason: previousReason, eventId: UUID.derived(from: "video.retried|\(id)")))
        _ = try await dependencies.jobs.removeDeadLetter(id: id)
        context.logger.notice("dead-lettered job retried", metadata: ["videoId": "\(videoId)", "deadLetter": "\(id)"])
        return jsonResponse(Retried(videoId: videoId, status: .uploaded), status: .accepted)
    }

    @Sendable func discard(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let id = try Self.deadLetterID(context)
        guard try await dependencies.jobs.removeDeadLetter(id: id) else { throw Self.noSuchDeadLetter }
        context.logger.notice("dead-lettered job discarded", metadata: ["deadLetter": "\(id)"])
        return Response(status: .noContent)
    }

    @Sendable func rerunCaptions(request: Request, context: ClipCutRequestContext) async throws -> Response {
        guard let videoId = context.parameters.get("id").flatMap(VideoID.init),
              let record = try await dependencies.repository.record(id: videoId)
        else { throw APIError.notFound("No such video.") }
        guard record.video.status == .ready else {
            throw APIError(.conflict, code: "not_ready", message: "Captions are made again only for a ready video.")
        }
        guard record.video.captionEdited != true else {
            throw APIError(.conflict, code: "captions_edited", message: "The owner wrote these captions; they are kept.")
        }
        try await dependencies.publication.publish(VideoCaptionsEvent(videoId: videoId, state: .pending, language: record.video.captionLanguage ?? "en"))
        try await dependencies.captionRetries.schedule(videoId, attempt: 1, after: .zero)
        context.logger.notice("captions to be made again", metadata: ["videoId": "\(videoId)"])
        return jsonResponse(CaptionsRerun(videoId: videoId, captions: .pending), status: .accepted)
    }

    @Sendable func usageByOwner(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let owners = try await dependencies.repository.storedBytesByOwner()
            .map { OwnerUsage(owner: $0.owner, storedBytes: $0.bytes, videos: $0.videos) }
            .sorted { $0.storedBytes != $1.storedBytes ? $0.storedBytes > $1.storedBytes : $0.owner.description < $1.owner.description }
        return jsonResponse(UsageByOwner(quotaBytes: dependencies.quotaBytes, owners: owners))
    }

    private static func deadLetterID(_ context: ClipCutRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), DeadLetterEntry.isValidID(id) else {
            throw APIError(.badRequest, code: "invalid_id", message: "A dead letter's id is two numbers joined by a dash.")
        }
        return id
    }
}

extension Optional {
    /// `map` with an async, throwing transform that may itself give `nil`.
    func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
