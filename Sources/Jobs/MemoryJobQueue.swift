import Primitives
import ClipCutCore
import Foundation
import Synchronization

/// The in-memory twin of ``RedisJobQueue``, for tests: the same guarantees (the policy's order
/// on a ``FairQueueState``, delivery counts, take-over after `claimIdle` without a heartbeat,
/// expiring per-video locks, delayed retries, dead letters) in one process. Workers that share a ``MemoryJobQueue/Store`` behave like
/// consumers of one Redis group.
public struct MemoryJobQueue: JobQueue {
    /// What Redis holds for the queue: shared by every handle made on it.
    public final class Store: Sendable {
        struct Pending {
            var job: ClaimedJob
            var consumer: String
            var lastDelivered: ContinuousClock.Instant
            var deliveries: Int
            var dispatch: FairQueueState.Dispatch
            /// When this delivery began (heartbeats do not move it).
            var started: ContinuousClock.Instant
        }

        struct State {
            var nextID = 1
            var queue: FairQueueState
            var entries: [String: ClaimedJob] = [:]
            var pending: [String: Pending] = [:]
            var pendingOrder: [String] = []
            var starts: [String: Int] = [:]
            var locks: [VideoID: (value: String, expires: ContinuousClock.Instant)] = [:]
            var done: Set<VideoID> = []
            var delayed: [(due: Date, raw: String)] = []
            var dead: [DeadLetter] = []
            var deadSequence = 0
            var lockedWhenQueued: [Bool] = []
        }

        let state: Mutex<State>

        /// An empty queue whose workers follow `policy`.
        public init(policy: QueuePolicy = .fair) {
            state = Mutex(State(queue: FairQueueState(policy: policy)))
        }

        /// A dead-lettered job.
        public struct DeadLetter: Sendable, Equatable {
            public var raw: String
            public var reason: String
            public var attempts: Int
            public var entry: String
            /// The dead letter's own id (`<n>-0`, like a stream id).
            public var id: String
            /// When it was dead-lettered.
            public var at: Date
        }

        /// Everything dead-lettered so far, oldest first.
        public var deadLetters: [DeadLetter] { state.withLock { $0.dead } }
        /// Jobs delivered and not completed.
        public var pendingCount: Int { state.withLock { $0.pending.count } }
        /// For each message queued so far (enqueued, released, retried), whether its video's lock
        /// was held at that moment: a released job whose lock is still held would be taken by
        /// the next worker for a duplicate.
        public var lockedWhenQueued: [Bool] { state.withLock { $0.lockedWhenQueued } }
        /// Jobs waiting for their first delivery.
        public var waitingCount: Int { state.withLock { $0.queue.count } }
        /// Another worker takes the video's lock (as one that took the job over would).
        public func seizeLock(of videoId: VideoID, holder: String = "another-worker|0-0") {
            state.withLock { $0.locks[videoId] = (holder, .now + .seconds(3600)) }
        }

        /// The jobs waiting for a retry, with when they are due.
        public var delayed: [(due: Date, job: TranscodeJob?)] {
            state.withLock { state in
                state.delayed.map { ($0.due, MemoryJobQueue.decode($0.raw)) }
            }
        }
    }

    /// The shared state.
    public let store: Store
    /// This handle's consumer name.
    public let consumer: String
    /// How long a job may go without a heartbeat before another worker takes it over.
    public let claimIdle: Duration

    /// A handle on `store` for `consumer`.
    public init(store: Store, consumer: String, claimIdle: Duration) {
        self.store = store
        self.consumer = consumer
        self.claimIdle = claimIdle
    }

    @discardableResult
    public func enqueue(_ job: TranscodeJob) async throws -> String {
        try append(job.jsonString())
    }

    /// Queues a raw message, as a producer that writes anything could.
    @discardableResult
    public func append(_ raw: String) throws -> String {
        store.state.withLock { state in
            let id = "\(state.nextID)-0"
            state.nextID += 1
            let job = ClaimedJob(id: id, job: Self.decode(raw), raw: raw)
            state.entries[id] = job
            let now = ContinuousClock.now
            state.lockedWhenQueued.append(job.job.flatMap { state.locks[$0.payload.videoId] }.map { $0.expires > now } ?? false)
            state.queue.admit(
                id: id, videoId: job.job?.payload.videoId, owner: job.job.map { $0.payload.owner.description } ?? "-", since: Date())
            return id
        }
    }

    public func claimNext(wait: Duration) async throws -> ClaimedJob? {
        let deadline = ContinuousClock.now + wait
        while true {
            if let job = takeOne() { return job }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private func takeOne() -> ClaimedJob? {
        let now = ContinuousClock.now
        return store.state.withLock { state in
            if let id = state.pendingOrder.first(where: { state.pending[$0].map { now - $0.lastDelivered >= claimIdle } ?? false }),
                var entry = state.pending[id]
            {
                entry.consumer = consumer
                entry.lastDelivered = now
                entry.started = now
                entry.deliveries += 1
                state.pending[id] = entry
                return entry.job
            }
            guard let dispatch = state.queue.next(), let job = state.entries.removeValue(forKey: dispatch.job.id) else { return nil }
            state.pending[job.id] = Store.Pending(job: job, consumer: consumer, lastDelivered: now, deliveries: 1, dispatch: dispatch, started: now)
            state.pendingOrder.append(job.id)
            return job
        }
    }

    public func deliveries(of job: ClaimedJob) async throws -> Int {
        store.state.withLock { $0.pending[job.id]?.deliveries ?? 1 }
    }

    public func recordStart(of job: ClaimedJob) async throws -> Int {
        store.state.withLock { state in
            state.starts[job.id, default: 0] += 1
            return state.starts[job.id, default: 1]
        }
    }

    public func lock(_ videoId: VideoID, for job: ClaimedJob) async throws -> VideoLockResult {
        let now = ContinuousClock.now, value = lockValue(job)
        return store.state.withLock { state in
            if let held = state.locks[videoId], held.expires > now {
                return held.value.hasSuffix("|\(job.id)") ? .heldForThisEntry : .heldForAnotherEntry
            }
            state.locks[videoId] = (value, now + claimIdle)
            return .acquired
        }
    }

    public func heartbeat(_ job: ClaimedJob, videoId: VideoID) async throws -> Bool {
        let now = ContinuousClock.now, value = lockValue(job)
        return store.state.withLock { state in
            guard let held = state.locks[videoId], held.value == value, held.expires > now else { return false }
            state.locks[videoId] = (value, now + claimIdle)
            if var entry = state.pending[job.id] {
                entry.consumer = consumer
                entry.lastDelivered = now
                state.pending[job.id] = entry
            }
            return true
        }
    }

    public func unlock(_ videoId: VideoID, for job: ClaimedJob) async {
        let value = lockValue(job)
        store.state.withLock { state in
            if state.locks[videoId]?.value == value { state.locks[videoId] = nil }
        }
    }

    private func lockValue(_ job: ClaimedJob) -> String { "\(consumer)|\(job.id)" }

    public func markDone(_ videoId: VideoID) async throws {
        _ = store.state.withLock { $0.done.insert(videoId) }
    }

    public func isDone(_ videoId: VideoID) async throws -> Bool {
        store.state.withLock { $0.done.contains(videoId) }
    }

    public func complete(_ job: ClaimedJob) async throws {
        let now = ContinuousClock.now
        store.state.withLock { state in
            if let pending = state.pending.removeValue(forKey: job.id) {
                let took = now - pending.started
                let actual = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
                state.queue.settle(owner: pending.dispatch.job.owner, charged: pending.dispatch.charged, weight: pending.dispatch.weight, actual: actual)
            }
            state.pendingOrder.removeAll { $0 == job.id }
            state.starts[job.id] = nil
        }
    }

    public func release(_ job: ClaimedJob) async throws {
        try append(job.raw)
        try await complete(job)
    }

    public func retryLater(_ job: ClaimedJob, next: TranscodeJob, after delay: Duration) async throws {
        let raw = try next.jsonString()
        store.state.withLock { $0.delayed.append((Date().addingTimeInterval(delay.seconds), raw)) }
        try await complete(job)
    }

    public func deadLetter(_ job: ClaimedJob, reason: String, attempts: Int) async throws {
        store.state.withLock {
            $0.deadSequence += 1
            $0.dead.append(Store.DeadLetter(raw: job.raw, reason: reason, attempts: attempts, entry: job.id, id: "\($0.deadSequence)-0", at: Date()))
        }
        try await complete(job)
    }

    @discardableResult
    public func releaseDueRetries(now: Date = Date()) async throws -> Int {
        let due: [String] = store.state.withLock { state in
            let ready = state.delayed.enumerated().filter { $0.element.due <= now }.prefix(20)
            let indices = Set(ready.map(\.offset))
            state.delayed = state.delayed.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
            return ready.map(\.element.raw)
        }
        for raw in due { try append(raw) }
        return due.count
    }

    public func snapshot() async throws -> JobQueueSnapshot {
        store.state.withLock { state in
            let owners = state.queue.waitingByOwner.compactMap { owner, jobs in
                jobs.first.map {
                    JobQueueSnapshot.OwnerQueue(
                        owner: owner, waiting: jobs.count, oldestSince: $0.since, weight: state.queue.weights[owner] ?? QueuePolicy.defaultWeight)
                }
            }.sorted { $0.waiting != $1.waiting ? $0.waiting > $1.waiting : $0.oldestSince < $1.oldestSince }
            return JobQueueSnapshot(
                waiting: state.queue.order().compactMap(\.videoId), inProgress: state.pending.count, delayed: state.delayed.count, owners: owners)
        }
    }

    public func deadLetterCount() async throws -> Int {
        store.state.withLock { $0.dead.count }
    }

    public func setWeight(_ weight: Double, for owner: UserID) async throws {
        store.state.withLock { $0.queue.weights[owner.description] = weight == QueuePolicy.defaultWeight ? nil : weight }
    }

    public func weight(of owner: UserID) async throws -> Double {
        store.state.withLock { $0.queue.weights[owner.description] ?? QueuePolicy.defaultWeight }
    }

    public func prioritize(_ videoId: VideoID) async throws -> Bool {
        store.state.withLock { $0.queue.prioritize(videoId) }
    }

    static func decode(_ raw: String) -> TranscodeJob? {
        if case .transcodeRequested(let job)? = try? ClipCutEvent.decode(from: raw) { job } else { nil }
    }
}
