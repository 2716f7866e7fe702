import ClipCutCore
import Foundation
import Jobs
import Hummingbird
import Redis
import ServiceSupport

/// Figures over the whole platform: the history's (PostgreSQL) and the queues' (Redis).
struct PlatformStats: Codable, Sendable, Equatable {
    struct Queue: Codable, Sendable, Equatable {
        var waiting: Int
        var inProgress: Int
        var delayed: Int
        /// Which waiting job goes next (`fair` or `fifo`).
        var policy: QueuePolicy
        /// Each owner's waiting jobs and how long the oldest has waited.
        var owners: [QueueRoutes.OwnerLine]
    }

    struct DeadLetters: Codable, Sendable, Equatable {
        /// Jobs that failed every retry (`clipcut:jobs:dead`).
        var jobs: Int
        /// Malformed events monitoring-service skipped (`clipcut:events:dead`).
        var events: Int
    }

    var uploads: UploadStats
    var queue: Queue
    var deadLetters: DeadLetters

    /// Reads every figure now.
    static func collect(store: any HistoryStore, redis: RedisClient, jobs: RedisJobQueueReader, days: Int = 30) async throws -> PlatformStats {
        let uploads = try await store.stats(days: days)
        let snapshot = try await jobs.snapshot()
        let deadJobs = try await jobs.deadLetterCount()
        let deadEvents = try await redis.xlen(RedisNames.eventsDeadLetterStream)
        return PlatformStats(
            uploads: uploads,
            queue: Queue(
                waiting: snapshot.waiting.count, inProgress: snapshot.inProgress, delayed: snapshot.delayed, policy: jobs.policy,
                owners: snapshot.owners.map { QueueRoutes.OwnerLine($0, now: Date()) }),
            deadLetters: DeadLetters(jobs: deadJobs, events: deadEvents))
    }
}

/// `GET /api/stats?days=` (administrators): uploads per day, bytes, success rate, processing
/// time per minute of video (median, p95), queue depth and dead letters.
struct StatsRoutes: Sendable {
    let store: any HistoryStore
    let redis: RedisClient
    let queue: RedisJobQueueReader
    let verifier: AccessTokenVerifier
    /// Confirms the administrator's role (the token's claim alone is not enough).
    let adminCheck: any AdminRoleCheck

    func add(to router: Router<ClipCutRequestContext>) {
        router.authenticatedGroup("api/stats", verifier: verifier)
            .add(middleware: ConfirmAdminMiddleware<ClipCutRequestContext>(check: adminCheck))
            .get(use: stats)
    }

    @Sendable func stats(request: Request, context: ClipCutRequestContext) async throws -> Response {
        var days = 30
        if let value = request.uri.queryParameters.get("days") {
            guard let parsed = Int(value), (1...366).contains(parsed) else {
                throw APIError(.badRequest, code: "invalid_days", message: "days must be an integer from 1 to 366.")
            }
            days = parsed
        }
        return jsonResponse(try await PlatformStats.collect(store: store, redis: redis, jobs: queue, days: days))
    }
}
