import ClipCutCore
import Foundation
import Jobs
import Redis
import Testing

/// The two ``JobQueue`` implementations the behaviour suite runs against.
enum QueueKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, redis

    var testDescription: String { rawValue }

    /// The behaviour suite's own Redis database (flushed before each test; the suite runs
    /// serialized). Another suite passes its own, so suites running side by side never share one.
    static let redisDatabase = 7

    /// Two workers' handles on one fresh queue (two consumers of one group), and what to shut
    /// down afterwards. The claim-idle time is long unless a test is about take-over: the full
    /// test run starves a test's tasks for seconds at times (ffmpeg and whisper beside it).
    func make(claimIdle: Duration = .seconds(60), policy: QueuePolicy = .fair, database: Int = redisDatabase) async throws -> QueuePair {
        switch self {
        case .memory:
            let store = MemoryJobQueue.Store(policy: policy)
            return QueuePair(
                first: MemoryJobQueue(store: store, consumer: "worker-a", claimIdle: claimIdle),
                second: MemoryJobQueue(store: store, consumer: "worker-b", claimIdle: claimIdle),
                schedule: MemoryCaptionRetrySchedule(), redis: nil)
        case .redis:
            let base = try #require(ProcessInfo.processInfo.environment["CLIPCUT_REDIS_URL"], "run the tests through scripts/test")
            let url = String(base[..<(base.lastIndex(of: "/") ?? base.endIndex)]) + "/\(database)"
            let redis = RedisClient(configuration: try RedisConfiguration(url: url))
            _ = try await redis.execute(["FLUSHDB"])
            return QueuePair(
                first: RedisJobQueue(redis: redis, consumer: "worker-a", claimIdle: claimIdle, policy: policy),
                second: RedisJobQueue(redis: redis, consumer: "worker-b", claimIdle: claimIdle, policy: policy),
                schedule: RedisCaptionRetrySchedule(redis: redis), redis: redis)
        }
    }
}

/// Two handles on one queue, the caption schedule beside it.
struct QueuePair {
    let first: any JobQueue
    let second: any JobQueue
    let schedule: any CaptionRetrySchedule
    let redis: RedisClient?

    func shutdown() async {
        _ = try? await redis?.execute(["FLUSHDB"])
        await redis?.shutdown()
    }
}

/// A job for a new video.
func newJob(attempt: Int? = nil, owner: UserID = .random()) -> TranscodeJob {
    TranscodeJob(videoId: .random(), owner: owner, attempt: attempt)
}
