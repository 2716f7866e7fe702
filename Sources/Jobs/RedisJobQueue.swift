import Primitives
import ClipCutCore
import Foundation
import Redis
import Synchronization

/// ``JobQueue`` over Redis. Producers append to the stream ``RedisNames/jobsStream``; workers
/// read it in the consumer group ``RedisNames/processingGroup`` and *admit* each entry to the
/// fair queue under ``RedisNames/jobQueuePrefix`` (one line per owner, scored by
/// ``QueuePolicy``) in the same script (``FairQueueScripts/intake``), where the entry stays
/// pending in the group until its job completes, so
/// the group's pending count (KEDA's scaler) is every job admitted and not done. A free worker
/// takes the next job by one script (``FairQueueScripts/next``): a running job whose lease ended
/// (its worker stopped heartbeating), else the policy's choice. Per-video locks
/// (``RedisNames/videoLock(_:)``), delayed retries (``RedisNames/delayedJobs``) and dead letters
/// (``RedisNames/deadLetterStream``) are as before. An entry read by a blocking wait and never
/// admitted (its worker died in between) is found by ``recoverStranded(now:)``.
public struct RedisJobQueue: JobQueue {
    let redis: RedisClient
    /// This worker's consumer name (host and process: a replaced pod is a new consumer).
    public let consumer: String
    /// How long a job may go without a heartbeat before another worker takes it over.
    public let claimIdle: Duration
    /// Which waiting job goes next.
    public let policy: QueuePolicy
    /// When this process last looked for stranded entries.
    private let claimCursor = ClaimCursor()

    /// A queue handle for `consumer`.
    public init(redis: RedisClient, consumer: String, claimIdle: Duration, policy: QueuePolicy = .fair) {
        self.redis = redis
        self.consumer = consumer
        self.claimIdle = claimIdle
        self.policy = policy
    }

    @discardableResult
    public func enqueue(_ job: TranscodeJob) async throws -> String {
        try await redis.xadd(RedisNames.jobsStream, fields: [RedisNames.messageField: try job.jsonString()])
    }

    public func claimNext(wait: Duration) async throws -> ClaimedJob? {
        do {
            return try await admitAndTake(wait: wait)
        } catch RedisError.server(let message) where message.contains("NOGROUP") {
            // The first worker ever, or the stream was deleted: the group reads from the start,
            // so jobs queued before any worker ran are not missed.
            _ = try await redis.xgroupCreate(RedisNames.jobsStream, group: RedisNames.processingGroup, startID: "0")
            return try await admitAndTake(wait: wait)
        }
    }

    private func admitAndTake(wait: Duration) async throws -> ClaimedJob? {
        // What arrived since, read and admitted in one script; then the policy's next job.
        _ = try await redis.run(
            FairQueueScripts.intake, keys: [RedisNames.jobsStream],
            arguments: [
                RedisNames.jobQueuePrefix, RedisNames.processingGroup, consumer, "100", policy.rawValue, RedisNames.messageField,
            ])
        if let job = try await take() { return job }
        // Nothing waits: block for a new entry (admitted right away; if this worker dies in
        // between, ``recoverStranded(now:)`` admits it later).
        try await admit(try await redis.xreadgroup(
            RedisNames.jobsStream, group: RedisNames.processingGroup, consumer: consumer, id: ">", count: 1, block: wait))
        return try await take()
    }

    private func admit(_ entries: [RedisStreamEntry]) async throws {
        guard !entries.isEmpty else { return }
        var arguments = [RedisNames.jobQueuePrefix, RedisNames.processingGroup, policy.rawValue]
        for entry in entries { arguments += [entry.id, entry.fields[RedisNames.messageField] ?? ""] }
        _ = try await redis.run(FairQueueScripts.admit, keys: [RedisNames.jobsStream], arguments: arguments)
    }

    /// Entries a worker read and died before admitting: the whole pending list is scanned
    /// (XAUTOCLAIM, entries idle past `claimIdle`) once per `claimIdle`, and what is not admitted
    /// yet is admitted (admitted ones are left as they are). Returns how many were scanned.
    @discardableResult
    public func recoverStranded(now: ContinuousClock.Instant = .now) async throws -> Int {
        guard claimCursor.scanDue(now: now, every: claimIdle) else { return 0 }
        var start = "0-0", scanned = 0
        repeat {
            let page = try await redis.xautoclaim(
                RedisNames.jobsStream, group: RedisNames.processingGroup, consumer: consumer, minIdle: claimIdle, start: start, count: 100)
            try await admit(page.entries)
            scanned += page.entries.count
            start = page.nextStart
        } while start != "0-0"
        return scanned
    }

    private func take() async throws -> ClaimedJob? {
        let reply = try await redis.run(
            FairQueueScripts.next, keys: [],
            arguments: [
                RedisNames.jobQueuePrefix, consumer, String(claimIdle.milliseconds), policy.rawValue,
                String(QueuePolicy.defaultCostSeconds), String(QueuePolicy.defaultWeight),
            ])
        guard let parts = reply.array, parts.count == 3, let id = parts[0].string else { return nil }
        let raw = parts[1].string ?? ""
        return ClaimedJob(id: id, job: MemoryJobQueue.decode(raw), raw: raw)
    }

    public func deliveries(of job: ClaimedJob) async throws -> Int {
        Int(try await redis.execute(["HGET", RedisNames.jobQueuePrefix + "job:" + job.id, "deliveries"]).integer ?? 1)
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
        // A worker that lost the lock must not take the job back from the one that has it.
        let renewed = try await redis.run(
            FairQueueScripts.heartbeat, keys: [RedisNames.videoLock(videoId)],
            arguments: [lockValue(job), String(claimIdle.milliseconds), RedisNames.jobQueuePrefix, job.id, consumer])
        return (renewed.integer ?? 0) == 1
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
        _ = try await redis.run(
            FairQueueScripts.complete, keys: [RedisNames.jobsStream],
            arguments: [RedisNames.jobQueuePrefix, job.id, RedisNames.processingGroup, policy.rawValue])
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
        do {
            try await recoverStranded()
        } catch RedisError.server(let message) where message.contains("NOGROUP") {
            // No worker has read the stream yet: nothing can be stranded.
        }
        let reply = try await redis.run(
            JobScripts.releaseDue, keys: [RedisNames.delayedJobs, RedisNames.jobsStream],
            arguments: [String(now.timeIntervalSince1970), RedisNames.messageField])
        return Int(reply.integer ?? 0)
    }

    public func snapshot() async throws -> JobQueueSnapshot {
        try await RedisJobQueueReader(redis: redis, policy: policy).snapshot()
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

/// When this process last scanned the pending list for stranded entries.
final class ClaimCursor: Sendable {
    private let lastScan = Mutex<ContinuousClock.Instant?>(nil)

    /// Whether a scan is due (`every` since the last one, or never done); marks it done.
    func scanDue(now: ContinuousClock.Instant, every interval: Duration) -> Bool {
        lastScan.withLock { last in
            if let last, now - last < interval { return false }
            last = now
            return true
        }
    }
}
