import ClipCutCore
import Foundation
import Redis
import Synchronization

/// A job as read from `clipcut:jobs`.
struct QueuedJob: Sendable {
    /// The stream entry id.
    var entryID: String
    /// The decoded job; `nil` when the entry is malformed.
    var job: TranscodeJob?
    /// The raw message (kept for the dead-letter stream).
    var raw: String
}

/// processing-service's side of `clipcut:jobs`: the consumer group `processing`, heartbeats that
/// keep a running job from being taken over, take-over of jobs whose worker died (XAUTOCLAIM),
/// delayed retries (a sorted set moved back into the stream when due), the dead-letter stream,
/// and a per-video lock so two workers never process one video at once.
struct JobQueue: Sendable {
    let redis: RedisClient
    let consumer: String
    let claimIdle: Duration
    /// Where the next XAUTOCLAIM scan starts (Redis looks at COUNT × 10 entries per call).
    private let claimCursor = ClaimCursor()

    init(redis: RedisClient, consumer: String, claimIdle: Duration) {
        self.redis = redis
        self.consumer = consumer
        self.claimIdle = claimIdle
    }

    /// What the per-video lock said.
    enum LockResult: Equatable {
        /// Ours now.
        case acquired
        /// Held for this same entry (its earlier worker's lock has not expired yet).
        case heldForThisEntry
        /// Held for another entry of the same video: this one is a duplicate.
        case heldForAnotherEntry
    }

    static let delayedKey = RedisNames.delayedJobs
    static let captionRetryKey = "clipcut:captions:retry"
    static func lockKey(_ videoId: VideoID) -> String { "clipcut:lock:video:\(videoId)" }
    static func doneKey(_ videoId: VideoID) -> String { "clipcut:done:\(videoId)" }

    /// Creates the group (reading from the stream's start, so jobs queued before the first
    /// worker ever ran are not missed).
    func prepare() async throws {
        _ = try await redis.xgroupCreate(RedisNames.jobsStream, group: RedisNames.processingGroup, startID: "0")
    }

    /// A job whose worker stopped heartbeating, if any; else a new one (waiting up to `block`).
    func next(block: Duration) async throws -> QueuedJob? {
        let claimed = try await redis.xautoclaim(
            RedisNames.jobsStream, group: RedisNames.processingGroup, consumer: consumer, minIdle: claimIdle,
            start: claimCursor.value, count: 1)
        claimCursor.value = claimed.nextStart  // "0-0" once the scan went round
        if let entry = claimed.entries.first { return Self.job(entry) }
        let fresh = try await redis.xreadgroup(
            RedisNames.jobsStream, group: RedisNames.processingGroup, consumer: consumer, id: ">", count: 1, block: block)
        return fresh.first.map(Self.job)
    }

    /// How many times the entry was delivered (1 the first time; more after take-overs).
    func deliveries(of entryID: String) async throws -> Int {
        try await redis.xpending(RedisNames.jobsStream, group: RedisNames.processingGroup, start: entryID, end: entryID, count: 1)
            .first?.deliveries ?? 1
    }

    /// Resets the entry's idle time and renews the video lock: "still working on it".
    /// - Returns: `false` when the lock is no longer ours (another worker took the job over).
    func heartbeat(_ job: QueuedJob, videoId: VideoID) async throws -> Bool {
        _ = try await redis.execute([
            "XCLAIM", RedisNames.jobsStream, RedisNames.processingGroup, consumer, "0", job.entryID, "JUSTID",
        ])
        let renewed = try await redis.execute([
            "EVAL", "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
            "1", Self.lockKey(videoId), lockValue(job), String(claimIdle.milliseconds),
        ])
        return (renewed.integer ?? 0) == 1
    }

    /// The lock's value: this worker and the entry it works on.
    private func lockValue(_ job: QueuedJob) -> String { "\(consumer)|\(job.entryID)" }

    /// Takes the video's lock for this entry.
    func lock(_ videoId: VideoID, for job: QueuedJob) async throws -> LockResult {
        if try await redis.set(Self.lockKey(videoId), to: lockValue(job), expiresIn: claimIdle, onlyIfAbsent: true) {
            return .acquired
        }
        let holder = try await redis.get(Self.lockKey(videoId)) ?? ""
        return holder.hasSuffix("|\(job.entryID)") ? .heldForThisEntry : .heldForAnotherEntry
    }

    /// Gives the video's lock back (only if it is still ours).
    func unlock(_ videoId: VideoID, for job: QueuedJob) async {
        _ = try? await redis.execute([
            "EVAL", "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
            "1", Self.lockKey(videoId), lockValue(job),
        ])
    }

    /// Remembers that the video's `video.ready` went out, so a job delivered again (a take-over
    /// after a crash before XACK, a duplicate) does not process it again.
    func markDone(_ videoId: VideoID) async throws {
        _ = try await redis.set(Self.doneKey(videoId), to: "1", expiresIn: .seconds(30 * 86400))
    }

    /// Whether the video's `video.ready` already went out.
    func isDone(_ videoId: VideoID) async throws -> Bool {
        try await redis.get(Self.doneKey(videoId)) != nil
    }

    /// Puts the job back as a fresh entry (same attempt) and acknowledges the old one: a job
    /// released at shutdown is not counted as a crashed delivery, and is picked up at once.
    func release(_ queued: QueuedJob) async throws {
        try await redis.xadd(RedisNames.jobsStream, fields: [RedisNames.messageField: queued.raw])
        try await acknowledge(queued)
    }

    /// Done with the entry (the video is ready, finally failed, or the job went elsewhere).
    func acknowledge(_ job: QueuedJob) async throws {
        try await redis.xack(RedisNames.jobsStream, group: RedisNames.processingGroup, ids: [job.entryID])
        _ = try? await redis.delete(RedisNames.jobStarts(entryID: job.entryID))
    }

    /// Counts a start of processing for the entry; returns the count, this start included. A
    /// count above 1 means an earlier start ended without an acknowledgement: its worker died.
    func recordStart(_ job: QueuedJob) async throws -> Int {
        let key = RedisNames.jobStarts(entryID: job.entryID)
        let count = try await redis.increment(key)
        _ = try await redis.expire(key, after: .seconds(7 * 86400))
        return Int(count)
    }

    /// Queues `job` again after `delay` (the delayed set), then acknowledges the current entry.
    func retry(_ job: QueuedJob, next: TranscodeJob, after delay: Duration) async throws {
        let due = Date().addingTimeInterval(delay.seconds)
        _ = try await redis.execute(["ZADD", Self.delayedKey, String(due.timeIntervalSince1970), try next.jsonString()])
        try await acknowledge(job)
    }

    /// Moves the entry to `clipcut:jobs:dead` with the reason, and acknowledges it.
    func deadLetter(_ job: QueuedJob, reason: String, attempts: Int) async throws {
        try await redis.xadd(
            RedisNames.deadLetterStream,
            fields: [RedisNames.messageField: job.raw, "reason": reason, "attempts": String(attempts), "entry": job.entryID],
            maxLength: 100_000)
        try await acknowledge(job)
    }

    /// Moves due retries back into `clipcut:jobs`, atomically; returns how many.
    @discardableResult
    func releaseDueRetries(now: Date = Date()) async throws -> Int {
        let script = """
            local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 20)
            for _, message in ipairs(due) do
              redis.call('XADD', KEYS[2], '*', ARGV[2], message)
              redis.call('ZREM', KEYS[1], message)
            end
            return #due
            """
        let reply = try await redis.execute([
            "EVAL", script, "2", Self.delayedKey, RedisNames.jobsStream, String(now.timeIntervalSince1970), RedisNames.messageField,
        ])
        return Int(reply.integer ?? 0)
    }

    /// Schedules another captioning attempt for a video.
    func scheduleCaptions(_ videoId: VideoID, attempt: Int, after delay: Duration) async throws {
        let due = Date().addingTimeInterval(delay.seconds)
        _ = try await redis.execute(["ZADD", Self.captionRetryKey, String(due.timeIntervalSince1970), "\(videoId)|\(attempt)"])
    }

    /// A captioning attempt taken from the schedule: it stays there, due again at `leaseEnd`, until
    /// ``finishCaptions(_:)`` removes it, so a worker that dies during it loses nothing.
    struct CaptionLease: Sendable {
        var videoId: VideoID
        var attempt: Int
        var member: String
        var leaseEnd: String
    }

    /// Takes one due captioning attempt, atomically (so one worker gets it), leased for `lease`.
    func takeDueCaptions(now: Date = Date(), lease: Duration = .seconds(1800)) async throws -> CaptionLease? {
        guard let taken = try await redis.takeDue(from: Self.captionRetryKey, now: now, lease: lease) else { return nil }
        let parts = taken.member.split(separator: "|")
        guard parts.count == 2, let id = VideoID(String(parts[0])), let attempt = Int(parts[1]) else {
            _ = try await redis.execute(["ZREM", Self.captionRetryKey, taken.member])  // not ours to understand: drop it
            return nil
        }
        return CaptionLease(videoId: id, attempt: attempt, member: taken.member, leaseEnd: taken.leaseEnd)
    }

    /// Removes a taken attempt once it ran, unless the run scheduled the same attempt again
    /// (then its score is no longer the lease's).
    func finishCaptions(_ lease: CaptionLease) async throws {
        try await redis.finish(RedisLease(member: lease.member, leaseEnd: lease.leaseEnd), in: Self.captionRetryKey)
    }

    static func job(_ entry: RedisStreamEntry) -> QueuedJob {
        let raw = entry.fields[RedisNames.messageField] ?? ""
        let job: TranscodeJob? = if case .transcodeRequested(let job)? = try? ClipCutEvent.decode(from: raw) { job } else { nil }
        return QueuedJob(entryID: entry.id, job: job, raw: raw)
    }
}

extension Duration {
    /// Seconds as a `Double`.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// The XAUTOCLAIM scan position, shared by the worker's loops.
final class ClaimCursor: Sendable {
    private let position = Mutex("0-0")
    var value: String {
        get { position.withLock { $0 } }
        set { position.withLock { $0 = newValue } }
    }
}
