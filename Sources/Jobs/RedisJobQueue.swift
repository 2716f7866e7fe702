import Primitives
import ClipCutCore
import Foundation
import Redis
import Synchronization

/// ``JobQueue`` over Redis: the stream ``RedisNames/jobsStream`` read by the consumer group
/// ``RedisNames/processingGroup``; take-over of entries idle past `claimIdle` (XAUTOCLAIM);
/// heartbeats that reset the entry's idle time and renew the video's lock
/// (``RedisNames/videoLock(_:)``); delayed retries in ``RedisNames/delayedJobs``; dead letters
/// in ``RedisNames/deadLetterStream``. Scripts are loaded once and run by SHA.
public struct RedisJobQueue: JobQueue {
    let redis: RedisClient
    /// This worker's consumer name (host and process: a replaced pod is a new consumer).
    public let consumer: String
    /// How long a job may go without a heartbeat before another worker takes it over.
    public let claimIdle: Duration
    /// Where the next XAUTOCLAIM scan starts (Redis looks at COUNT × 10 entries per call).
    private let claimCursor = ClaimCursor()

    /// A queue handle for `consumer`.
    public init(redis: RedisClient, consumer: String, claimIdle: Duration) {
        self.redis = redis
        self.consumer = consumer
        self.claimIdle = claimIdle
    }

    @discardableResult
    public func enqueue(_ job: TranscodeJob) async throws -> String {
        try await redis.xadd(RedisNames.jobsStream, fields: [RedisNames.messageField: try job.jsonString()])
    }

    public func claimNext(wait: Duration) async throws -> ClaimedJob? {
        do {
            return try await claimOrRead(wait: wait)
        } catch RedisError.server(let message) where message.hasPrefix("NOGROUP") {
            // The first worker ever, or the stream was deleted: the group reads from the start,
            // so jobs queued before any worker ran are not missed.
            _ = try await redis.xgroupCreate(RedisNames.jobsStream, group: RedisNames.processingGroup, startID: "0")
            return try await claimOrRead(wait: wait)
        }
    }

    private func claimOrRead(wait: Duration) async throws -> ClaimedJob? {
        let claimed = try await redis.xautoclaim(
            RedisNames.jobsStream, group: RedisNames.processingGroup, consumer: consumer, minIdle: claimIdle,
            start: claimCursor.value, count: 1)
        claimCursor.value = claimed.nextStart  // "0-0" once the scan went round
        if let entry = claimed.entries.first { return Self.claimed(entry) }
        let fresh = try await redis.xreadgroup(
            RedisNames.jobsStream, group: RedisNames.processingGroup, consumer: consumer, id: ">", count: 1, block: wait)
        return fresh.first.map(Self.claimed)
    }

    public func deliveries(of job: ClaimedJob) async throws -> Int {
        try await redis.xpending(RedisNames.jobsStream, group: RedisNames.processingGroup, start: job.id, end: job.id, count: 1)
            .first?.deliveries ?? 1
    }

    public func recordStart(of job: ClaimedJob) async throws -> Int {
        let key = RedisNames.jobStarts(entryID: job.id)
        let count = try await redis.increment(key)
        _ = try await redis.expire(key, after: .seconds(7 * 86400))
        return Int(count)
    }

    public func lock(_ videoId: VideoID, for job: ClaimedJob) async throws -> VideoLockResult {
        if try await redis.set(RedisNames.videoLock(videoId), to: lockValue(job), expiresIn: claimIdle, onlyIfAbsent: true) {
            return .acquired
        }
        let holder = try await redis.get(RedisNames.videoLock(videoId)) ?? ""
        return holder.hasSuffix("|\(job.id)") ? .heldForThisEntry : .heldForAnotherEntry
    }

    public func heartbeat(_ job: ClaimedJob, videoId: VideoID) async throws -> Bool {
        let renewed = try await redis.run(
            JobScripts.renewLock, keys: [RedisNames.videoLock(videoId)], arguments: [lockValue(job), String(claimIdle.milliseconds)])
        // A worker that lost the lock must not take the entry back from the one that has it.
        guard (renewed.integer ?? 0) == 1 else { return false }
        _ = try await redis.execute(["XCLAIM", RedisNames.jobsStream, RedisNames.processingGroup, consumer, "0", job.id, "JUSTID"])
        return true
    }

    public func unlock(_ videoId: VideoID, for job: ClaimedJob) async {
        _ = try? await redis.run(JobScripts.unlock, keys: [RedisNames.videoLock(videoId)], arguments: [lockValue(job)])
    }

    /// The lock's value: this worker and the entry it works on.
    private func lockValue(_ job: ClaimedJob) -> String { "\(consumer)|\(job.id)" }

    public func markDone(_ videoId: VideoID) async throws {
        _ = try await redis.set(RedisNames.videoDone(videoId), to: "1", expiresIn: .seconds(30 * 86400))
    }

    public func isDone(_ videoId: VideoID) async throws -> Bool {
        try await redis.get(RedisNames.videoDone(videoId)) != nil
    }

    public func complete(_ job: ClaimedJob) async throws {
        try await redis.xack(RedisNames.jobsStream, group: RedisNames.processingGroup, ids: [job.id])
        _ = try? await redis.delete(RedisNames.jobStarts(entryID: job.id))
    }

    public func release(_ job: ClaimedJob) async throws {
        try await redis.xadd(RedisNames.jobsStream, fields: [RedisNames.messageField: job.raw])
        try await complete(job)
    }

    public func retryLater(_ job: ClaimedJob, next: TranscodeJob, after delay: Duration) async throws {
        let due = Date().addingTimeInterval(delay.seconds)
        _ = try await redis.execute(["ZADD", RedisNames.delayedJobs, String(due.timeIntervalSince1970), try next.jsonString()])
        try await complete(job)
    }

    public func deadLetter(_ job: ClaimedJob, reason: String, attempts: Int) async throws {
        try await redis.xadd(
            RedisNames.deadLetterStream,
            fields: [RedisNames.messageField: job.raw, "reason": reason, "attempts": String(attempts), "entry": job.id],
            maxLength: 100_000)
        try await complete(job)
    }

    @discardableResult
    public func releaseDueRetries(now: Date = Date()) async throws -> Int {
        let reply = try await redis.run(
            JobScripts.releaseDue, keys: [RedisNames.delayedJobs, RedisNames.jobsStream],
            arguments: [String(now.timeIntervalSince1970), RedisNames.messageField])
        return Int(reply.integer ?? 0)
    }

    public func snapshot() async throws -> JobQueueSnapshot {
        try await RedisJobQueueReader(redis: redis).snapshot()
    }

    public func deadLetterCount() async throws -> Int {
        try await RedisJobQueueReader(redis: redis).deadLetterCount()
    }

    static func claimed(_ entry: RedisStreamEntry) -> ClaimedJob {
        let raw = entry.fields[RedisNames.messageField] ?? ""
        let job: TranscodeJob? = if case .transcodeRequested(let job)? = try? ClipCutEvent.decode(from: raw) { job } else { nil }
        return ClaimedJob(id: entry.id, job: job, raw: raw)
    }
}

/// The queue's Lua scripts, loaded once per process.
enum JobScripts {
    /// Renews the lock's expiry if it still holds this job's value.
    static let renewLock = RedisScript(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0")
    /// Deletes the lock if it still holds this job's value.
    static let unlock = RedisScript(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0")
    /// Moves up to 20 due retries from the delayed set back into the stream.
    static let releaseDue = RedisScript("""
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 20)
        for _, message in ipairs(due) do
          redis.call('XADD', KEYS[2], '*', ARGV[2], message)
          redis.call('ZREM', KEYS[1], message)
        end
        return #due
        """)
}

/// ``JobQueueReader`` over the Redis queue, for services that only look (monitoring-service).
public struct RedisJobQueueReader: JobQueueReader {
    let redis: RedisClient
    /// At most this many waiting entries are read per snapshot.
    public var scanLimit = 10_000

    /// A reader on `redis`.
    public init(redis: RedisClient) {
        self.redis = redis
    }

    /// Waiting entries are those after the group's last-delivered id (all of them before any
    /// worker ran); pending ones (delivered, not acknowledged) are in progress.
    public func snapshot() async throws -> JobQueueSnapshot {
        let group = try await redis.xinfoGroups(RedisNames.jobsStream).first { $0.name == RedisNames.processingGroup }
        let start = group.map { "(" + $0.lastDeliveredID } ?? "-"
        let entries = try await redis.xrange(RedisNames.jobsStream, start: start, count: scanLimit)
        let waiting = entries.compactMap { RedisJobQueue.claimed($0).job?.payload.videoId }
        let delayed = Int(try await redis.execute(["ZCARD", RedisNames.delayedJobs]).integer ?? 0)
        return JobQueueSnapshot(waiting: waiting, inProgress: group?.pending ?? 0, delayed: delayed)
    }

    public func deadLetterCount() async throws -> Int {
        try await redis.xlen(RedisNames.deadLetterStream)
    }
}

/// The XAUTOCLAIM scan position, shared by one process's workers.
final class ClaimCursor: Sendable {
    private let position = Mutex("0-0")
    var value: String {
        get { position.withLock { $0 } }
        set { position.withLock { $0 = newValue } }
    }
}
