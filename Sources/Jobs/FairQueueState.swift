import ClipCutCore
import Foundation

/// The waiting side of the job queue under a ``QueuePolicy``, as plain values. The in-memory
/// queue runs on it; a snapshot of the Redis queue is loaded into one and replayed to tell each
/// waiting video's position. Its arithmetic is the Lua scripts' (``FairQueueScripts``) step for
/// step, so both orders agree (the behaviour suite runs against both).
///
/// Under ``QueuePolicy/fair`` each owner with waiting jobs has a *start tag* (the score): the
/// virtual time at which their next job starts. A dispatch takes the owner with the lowest tag
/// (ties: the owner whose oldest waiting job came first), moves the clock to that tag
/// and advances the owner's *finish tag* by the job's estimated worker seconds over the owner's
/// weight; completion corrects the estimate with what the job really took. An owner who had
/// nothing waiting joins at `max(clock, finish)`: never before the jobs already started, never
/// with credit saved up while idle.
public struct FairQueueState: Sendable {
    /// A waiting job.
    public struct Job: Sendable, Equatable {
        /// The queue's id of the entry (the `clipcut:jobs` stream entry id in Redis).
        public var id: String
        /// The video, when the message could be decoded.
        public var videoId: VideoID?
        /// Whose job it is (`-` for a message without an owner).
        public var owner: String
        /// The order of admission, for ``QueuePolicy/fifo``.
        public var arrival: Int
        /// Since when it waits.
        public var since: Date

        /// A waiting job.
        public init(id: String, videoId: VideoID?, owner: String, arrival: Int, since: Date) {
            self.id = id
            self.videoId = videoId
            self.owner = owner
            self.arrival = arrival
            self.since = since
        }
    }

    /// One owner's part of a snapshot.
    public struct OwnerSnapshot: Sendable {
        public var owner: String
        public var score: Double
        public var jobs: [Job]

        /// An owner with waiting `jobs` (oldest first) and their start tag.
        public init(owner: String, score: Double, jobs: [Job]) {
            self.owner = owner
            self.score = score
            self.jobs = jobs
        }
    }

    /// A dispatched job and what it was charged.
    public struct Dispatch: Sendable, Equatable {
        public var job: Job
        /// Estimated worker seconds charged at dispatch (before the weight).
        public var charged: Double
        /// The owner's weight at dispatch.
        public var weight: Double
    }

    public var policy: QueuePolicy
    /// The virtual clock: the start tag of the latest dispatch.
    public private(set) var clock: Double = 0
    /// Administrators' weights by owner (absent: ``QueuePolicy/defaultWeight``).
    public var weights: [String: Double] = [:]
    /// Worker seconds a job of the owner is expected to take (absent: the default cost).
    public var estimates: [String: Double] = [:]
    /// Finish tags by owner.
    public private(set) var finish: [String: Double] = [:]
    private var lists: [String: [Job]] = [:]
    private var scores: [String: Double] = [:]
    private var priority: [Job] = []
    private var arrivals = 0

    /// An empty queue.
    public init(policy: QueuePolicy) {
        self.policy = policy
    }

    /// A queue as a snapshot found it.
    public init(
        policy: QueuePolicy, clock: Double, priority: [Job], owners: [OwnerSnapshot], weights: [String: Double],
        estimates: [String: Double], finish: [String: Double], arrivals: Int
    ) {
        self.policy = policy
        self.arrivals = arrivals
        self.clock = clock
        self.priority = priority
        self.weights = weights
        self.estimates = estimates
        self.finish = finish
        for owner in owners where !owner.jobs.isEmpty {
            lists[owner.owner] = owner.jobs
            scores[owner.owner] = owner.score
        }
    }

    /// How many jobs wait.
    public var count: Int { priority.count + lists.values.reduce(0) { $0 + $1.count } }

    /// The waiting jobs by owner, oldest first (the prioritized ones not included).
    public var waitingByOwner: [String: [Job]] { lists }

    /// Sets an owner's finish tag (loading a snapshot).
    public mutating func setFinish(_ tag: Double, of owner: String) {
        finish[owner] = tag
    }

    /// Admits a job at the end of its owner's line.
    public mutating func admit(id: String, videoId: VideoID?, owner: String, since: Date) {
        arrivals += 1
        let job = Job(id: id, videoId: videoId, owner: owner, arrival: arrivals, since: since)
        lists[owner, default: []].append(job)
        if scores[owner] == nil {
            scores[owner] = policy == .fifo ? Double(job.arrival) : max(clock, finish[owner] ?? 0)
        }
    }

    /// Takes the job that runs next, charging its owner.
    public mutating func next() -> Dispatch? {
        if !priority.isEmpty {
            let job = priority.removeFirst()
            let (cost, weight) = charge(of: job.owner)
            if policy == .fair {
                let tag = max(clock, finish[job.owner] ?? 0) + cost / weight
                finish[job.owner] = tag
                if scores[job.owner] != nil { scores[job.owner] = tag }
            }
            return Dispatch(job: job, charged: cost, weight: weight)
        }
        guard let owner = nextOwner(), let start = scores[owner], var line = lists[owner], !line.isEmpty else { return nil }
        let job = line.removeFirst()
        let (cost, weight) = charge(of: owner)
        lists[owner] = line.isEmpty ? nil : line
        switch policy {
        case .fair:
            clock = max(clock, start)
            let tag = start + cost / weight
            finish[owner] = tag
            scores[owner] = line.isEmpty ? nil : tag
        case .fifo:
            scores[owner] = line.first.map { Double($0.arrival) }
        }
        return Dispatch(job: job, charged: cost, weight: weight)
    }

    /// Corrects the owner's finish tag once a job is done: `actual` worker seconds instead of
    /// what was charged at dispatch; the owner's estimate moves halfway to `actual`.
    public mutating func settle(owner: String, charged: Double, weight: Double, actual: Double) {
        let actual = max(actual, QueuePolicy.minimumCostSeconds)
        estimates[owner] = estimates[owner].map { ($0 + actual) / 2 } ?? actual
        guard policy == .fair else { return }
        let delta = (actual - charged) / weight
        finish[owner] = (finish[owner] ?? 0) + delta
        if let score = scores[owner] { scores[owner] = max(clock, score + delta) }
    }

    /// Moves the video's waiting job to the front of everything (after the jobs prioritized
    /// before it); `false` when it is not waiting.
    public mutating func prioritize(_ videoId: VideoID) -> Bool {
        if priority.contains(where: { $0.videoId == videoId }) { return true }
        for (owner, line) in lists {
            guard let index = line.firstIndex(where: { $0.videoId == videoId }) else { continue }
            var rest = line
            priority.append(rest.remove(at: index))
            lists[owner] = rest.isEmpty ? nil : rest
            if rest.isEmpty {
                scores[owner] = nil
            } else if policy == .fifo, let head = rest.first {
                scores[owner] = Double(head.arrival)
            }
            return true
        }
        return false
    }

    /// Every waiting job in the order workers will take them, if no job completes meanwhile.
    public func order() -> [Job] {
        var copy = self
        var jobs: [Job] = []
        while let dispatch = copy.next() { jobs.append(dispatch.job) }
        return jobs
    }

    /// The owner with the lowest score; ties go to the owner whose oldest job came first.
    private func nextOwner() -> String? {
        scores.min { a, b in
            a.value != b.value ? a.value < b.value : (lists[a.key]?.first?.arrival ?? 0) < (lists[b.key]?.first?.arrival ?? 0)
        }?.key
    }

    private func charge(of owner: String) -> (cost: Double, weight: Double) {
        (estimates[owner] ?? QueuePolicy.defaultCostSeconds, weights[owner] ?? QueuePolicy.defaultWeight)
    }
}
