import ClipCutCore
import Foundation

/// A job a worker took from the queue.
public struct ClaimedJob: Sendable, Hashable {
    /// Which delivery this is: the queue's id of the entry (a stream entry id in Redis).
    public var id: String
    /// The decoded job; `nil` when the entry is malformed.
    public var job: TranscodeJob?
    /// The message as queued (kept for the dead letters).
    public var raw: String

    /// A claimed entry.
    public init(id: String, job: TranscodeJob?, raw: String) {
        self.id = id
        self.job = job
        self.raw = raw
    }
}

/// What taking a video's lock for a job found.
public enum VideoLockResult: Sendable, Equatable {
    /// The lock is this job's now.
    case acquired
    /// Held for this same entry: its earlier worker's lock has not expired yet.
    case heldForThisEntry
    /// Held for another entry of the same video: this one is a duplicate.
    case heldForAnotherEntry
}

/// One look at the waiting jobs.
public struct JobQueueSnapshot: Sendable, Equatable {
    /// Videos waiting, in the order workers will take them.
    public var waiting: [VideoID]
    /// Jobs taken by a worker and not yet completed.
    public var inProgress: Int
    /// Jobs waiting for a retry.
    public var delayed: Int
    /// Each owner with waiting jobs (the prioritized ones included), most waiting first.
    public var owners: [OwnerQueue]

    /// A snapshot.
    public init(waiting: [VideoID], inProgress: Int, delayed: Int, owners: [OwnerQueue] = []) {
        self.waiting = waiting
        self.inProgress = inProgress
        self.delayed = delayed
        self.owners = owners
    }

    /// One owner's waiting jobs.
    public struct OwnerQueue: Codable, Sendable, Equatable {
        /// The owner's user id.
        public var owner: String
        /// How many of their jobs wait.
        public var waiting: Int
        /// Since when their oldest waiting job waits.
        public var oldestSince: Date
        /// The owner's share weight (1 unless an administrator set another).
        public var weight: Double

        /// An owner's line.
        public init(owner: String, waiting: Int, oldestSince: Date, weight: Double) {
            self.owner = owner
            self.waiting = waiting
            self.oldestSince = oldestSince
            self.weight = weight
        }
    }

    /// Where a waiting video stands: `position` 1 is the next job a worker takes.
    public struct Position: Codable, Sendable, Equatable {
        public var position: Int
        public var ahead: Int
        public var waiting: Int
        public var inProgress: Int

        /// A position.
        public init(position: Int, ahead: Int, waiting: Int, inProgress: Int) {
            self.position = position
            self.ahead = ahead
            self.waiting = waiting
            self.inProgress = inProgress
        }
    }

    /// The video's place in the queue, `nil` when it is not waiting.
    public func position(of videoId: VideoID) -> Position? {
        guard let index = waiting.firstIndex(of: videoId) else { return nil }
        return Position(position: index + 1, ahead: index, waiting: waiting.count, inProgress: inProgress)
    }
}

/// What the job queue holds, read without taking part (monitoring's queue positions and stats).
public protocol JobQueueReader: Sendable {
    /// The waiting jobs in order, the running and the delayed counts.
    func snapshot() async throws -> JobQueueSnapshot
    /// How many jobs are in the dead letters.
    func deadLetterCount() async throws -> Int
}

/// What an administrator may change about the order of the queue.
public protocol JobQueueAdmin: Sendable {
    /// Sets an owner's share weight (``QueuePolicy/weightRange``; 1 is everyone's default).
    func setWeight(_ weight: Double, for owner: UserID) async throws
    /// An owner's share weight.
    func weight(of owner: UserID) async throws -> Double
    /// Moves the video's waiting job before every other waiting job; `false` when it is not
    /// waiting (running, done, or not admitted yet).
    func prioritize(_ videoId: VideoID) async throws -> Bool
}

/// The transcode job queue, in the domain's words. Delivery is at least once: a job stays the
/// worker's until it is completed, retried later, dead-lettered or released; a worker that stops
/// heartbeating loses it to the next ``claimNext(wait:)`` anywhere. Two implementations behave
/// the same (one test suite runs against both): ``RedisJobQueue`` (a stream with a consumer
/// group, a fair queue per owner, a delayed set, a dead-letter stream, per-video locks) and
/// ``MemoryJobQueue`` for tests. Which waiting job comes next is the ``QueuePolicy``'s choice.
public protocol JobQueue: JobQueueReader, JobQueueAdmin {
    /// Queues a job; returns its entry id.
    @discardableResult
    func enqueue(_ job: TranscodeJob) async throws -> String
    /// A job whose worker stopped heartbeating for the claim-idle time, if any; else the next
    /// waiting job, waiting up to `wait` for one.
    func claimNext(wait: Duration) async throws -> ClaimedJob?
    /// How many times the entry was delivered (1 the first time; more after take-overs).
    func deliveries(of job: ClaimedJob) async throws -> Int
    /// Counts a start of processing of the entry; returns the count, this start included.
    func recordStart(of job: ClaimedJob) async throws -> Int
    /// Takes the video's lock for this job.
    func lock(_ videoId: VideoID, for job: ClaimedJob) async throws -> VideoLockResult
    /// "Still working on it": keeps the job from being taken over and renews the video's lock.
    /// - Returns: `false` when the lock is no longer this job's (another worker has it).
    func heartbeat(_ job: ClaimedJob, videoId: VideoID) async throws -> Bool
    /// Gives the video's lock back, if it is still this job's.
    func unlock(_ videoId: VideoID, for job: ClaimedJob) async
    /// Remembers that the video's `video.ready` went out.
    func markDone(_ videoId: VideoID) async throws
    /// Whether the video's `video.ready` already went out.
    func isDone(_ videoId: VideoID) async throws -> Bool
    /// Done with the entry: the video is ready or finally failed, or the job went elsewhere.
    func complete(_ job: ClaimedJob) async throws
    /// Hands the job back as a fresh entry at once (shutdown): not counted as a crashed delivery.
    func release(_ job: ClaimedJob) async throws
    /// Queues `next` after `delay` and completes the current entry.
    func retryLater(_ job: ClaimedJob, next: TranscodeJob, after delay: Duration) async throws
    /// Moves the entry to the dead letters with the reason, and completes it.
    func deadLetter(_ job: ClaimedJob, reason: String, attempts: Int) async throws
    /// Moves retries that are due back to the waiting jobs; returns how many.
    @discardableResult
    func releaseDueRetries(now: Date) async throws -> Int
}
