import ClipCutCore
import Foundation
import Hummingbird
import Jobs
import Redis
import ServiceSupport

/// The job queue as administrators see and steer it: each owner's waiting jobs, share weights,
/// and one video moved to the front.
///
/// - `GET /api/queue`: the policy, the waiting videos in the order they will run, and each
///   owner's line (waiting jobs, how long the oldest has waited, weight).
/// - `PUT /api/queue/weights/{userId}` `{"weight": 2}`: the owner's share (0.1–100, 1 by
///   default): weight 2 gets twice the worker time of weight 1 while both have jobs waiting.
/// - `POST /api/queue/priority/{videoId}`: the video's waiting job runs next (409 `not_waiting`
///   when it is running, done or not queued).
struct QueueRoutes: Sendable {
    let queue: any JobQueueAdmin & JobQueueReader & JobQueueInspector
    let policy: QueuePolicy
    /// The uploads' history, for the recent failures.
    let store: any HistoryStore
    /// Where each video's progress log is (`clipcut:log:<videoId>`), for how far a running job is.
    let redis: RedisClient
    let verifier: AccessTokenVerifier
    /// Confirms the administrator's role (the token's claim alone is not enough).
    let adminCheck: any AdminRoleCheck

    func add(to router: Router<ClipCutRequestContext>) {
        let group = router.authenticatedGroup("api/queue", verifier: verifier)
            .add(middleware: ConfirmAdminMiddleware<ClipCutRequestContext>(check: adminCheck))
        group.get(use: overview)
        group.put("weights/:id", use: setWeight)
        group.post("priority/:id", use: prioritize)
    }

    /// What `GET /api/queue` answers.
    struct Overview: Codable, Sendable {
        var policy: QueuePolicy
        var waiting: [VideoID]
        var inProgress: Int
        var delayed: Int
        var owners: [OwnerLine]
        /// The jobs workers hold now, with their latest progress.
        var running: [Running]
        /// The newest failed uploads (at most 20), with their reasons.
        var recentFailures: [Failure]
    }

    /// A job a worker holds, and how far it is.
    struct Running: Codable, Sendable, Equatable {
        var videoId: VideoID?
        var owner: String
        var worker: String
        var since: Date?
        var stage: String?
        var percent: Double?
    }

    /// A failed upload.
    struct Failure: Codable, Sendable, Equatable {
        var videoId: VideoID
        var owner: UserID
        var title: String
        var reason: String?
        var failedAt: Date?
    }

    /// One owner's waiting jobs, with their oldest job's wait in seconds.
    struct OwnerLine: Codable, Sendable, Equatable {
        var owner: String
        var waiting: Int
        var oldestWaitSeconds: Double
        var weight: Double

        init(_ line: JobQueueSnapshot.OwnerQueue, now: Date) {
            owner = line.owner
            waiting = line.waiting
            oldestWaitSeconds = max(0, (now.timeIntervalSince(line.oldestSince) * 10).rounded() / 10)
            weight = line.weight
        }
    }

    @Sendable func overview(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let snapshot = try await queue.snapshot()
        let now = Date()
        var running: [Running] = []
        for job in try await queue.running() {
            var progress: VideoProgressPayload?
            if let videoId = job.videoId { progress = try await latestProgress(videoId) }
            running.append(Running(
                videoId: job.videoId, owner: job.owner, worker: job.worker, since: job.since,
                stage: progress?.stage.rawValue, percent: progress?.percent))
        }
        let failed = try await store.history(HistoryQuery(owner: nil, status: VideoStatus.failed.rawValue, limit: 20))
        return jsonResponse(Overview(
            policy: policy, waiting: snapshot.waiting, inProgress: snapshot.inProgress, delayed: snapshot.delayed,
            owners: snapshot.owners.map { OwnerLine($0, now: now) }, running: running,
            recentFailures: failed.uploads.map {
                Failure(videoId: $0.videoId, owner: $0.owner, title: $0.title, reason: $0.failureReason, failedAt: $0.failedAt)
            }))
    }

    /// The newest `video.progress` in the video's log, if any.
    private func latestProgress(_ videoId: VideoID) async throws -> VideoProgressPayload? {
        guard let entry = try await redis.xrevrange(RedisNames.logStream(for: videoId), count: 1).first,
              let json = entry.fields[RedisNames.messageField],
              case .videoProgress(let event)? = try? ClipCutEvent.decode(from: json)
        else { return nil }
        return event.payload
    }

    struct WeightChange: Codable, Sendable {
        var weight: Double
    }

    struct Weight: Codable, Sendable {
        var owner: UserID
        var weight: Double
    }

    @Sendable func setWeight(request: Request, context: ClipCutRequestContext) async throws -> Response {
        guard let owner = context.parameters.get("id").flatMap(UserID.init) else {
            throw APIError(.badRequest, code: "invalid_owner", message: "The path must end with a user id.")
        }
        let change = try await request.decode(as: WeightChange.self, context: context)
        guard change.weight.isFinite, QueuePolicy.weightRange.contains(change.weight) else {
            throw APIError(.badRequest, code: "invalid_weight", message: "weight must be a number from 0.1 to 100.")
        }
        try await queue.setWeight(change.weight, for: owner)
        return jsonResponse(Weight(owner: owner, weight: try await queue.weight(of: owner)))
    }

    struct Prioritized: Codable, Sendable {
        var videoId: VideoID
        /// 1: the next job a free worker takes (after other prioritized videos).
        var position: Int?
    }

    @Sendable func prioritize(request: Request, context: ClipCutRequestContext) async throws -> Response {
        guard let videoId = context.parameters.get("id").flatMap(VideoID.init) else {
            throw APIError(.badRequest, code: "invalid_video", message: "The path must end with a video id.")
        }
        guard try await queue.prioritize(videoId) else {
            throw APIError(.conflict, code: "not_waiting", message: "This video has no job waiting in the queue (running, done or unknown).")
        }
        let position = try await queue.snapshot().position(of: videoId)?.position
        return jsonResponse(Prioritized(videoId: videoId, position: position))
    }
}
