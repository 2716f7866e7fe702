import ClipCutCore
import Foundation
import Redis

/// ``JobQueueReader`` and ``JobQueueAdmin`` over the Redis queue, for services that look and
/// steer without taking jobs (monitoring-service).
public struct RedisJobQueueReader: JobQueueReader, JobQueueAdmin {
    let redis: RedisClient
    /// The policy the workers follow (the same `CLIPCUT_QUEUE_POLICY`): positions replay it.
    public let policy: QueuePolicy
    /// At most this many waiting entries are read per owner, and per snapshot of the stream.
    public var scanLimit = 10_000

    /// A reader on `redis`.
    public init(redis: RedisClient, policy: QueuePolicy = .fair) {
        self.redis = redis
        self.policy = policy
    }

    /// The waiting jobs in the order the policy will run them: ``FairQueueState/order()``
    /// replayed on one atomic read of the queue, with the entries no worker has admitted yet
    /// admitted as the next worker will.
    public func snapshot() async throws -> JobQueueSnapshot {
        let reply = try await redis.run(
            FairQueueScripts.snapshot, keys: [], arguments: [RedisNames.jobQueuePrefix, String(scanLimit)])
        guard let parts = reply.array, parts.count == 6 else {
            throw RedisError.unexpectedReply(command: "fair queue snapshot", reply: "\(reply)")
        }
        var weights: [String: Double] = [:], estimates: [String: Double] = [:], finish: [String: Double] = [:]
        var named: Set<String> = []
        for cost in parts[4].array ?? [] {
            guard let fields = cost.array?.map({ $0.string ?? "" }), fields.count == 4 else { continue }
            named.insert(fields[0])
            weights[fields[0]] = Double(fields[1])
            estimates[fields[0]] = Double(fields[2])
            finish[fields[0]] = Double(fields[3])
        }
        let priority = (parts[1].array ?? []).compactMap(Self.job)
        var owners: [FairQueueState.OwnerSnapshot] = []
        var lines: [JobQueueSnapshot.OwnerQueue] = []
        for owner in parts[2].array ?? [] {
            guard let fields = owner.array, fields.count == 4, let name = fields[0].string else { continue }
            let jobs = (fields[2].array ?? []).compactMap(Self.job)
            owners.append(.init(owner: name, score: fields[1].string.flatMap(Double.init) ?? 0, jobs: jobs))
            if let oldest = jobs.first {
                lines.append(.init(
                    owner: name, waiting: Int(fields[3].integer ?? Int64(jobs.count)), oldestSince: oldest.since,
                    weight: weights[name] ?? QueuePolicy.defaultWeight))
            }
        }
        for job in priority {
            if let index = lines.firstIndex(where: { $0.owner == job.owner }) {
                lines[index].waiting += 1
                lines[index].oldestSince = min(lines[index].oldestSince, job.since)
            } else {
                lines.append(.init(owner: job.owner, waiting: 1, oldestSince: job.since, weight: weights[job.owner] ?? QueuePolicy.defaultWeight))
            }
        }
        var state = FairQueueState(
            policy: policy, clock: parts[0].string.flatMap(Double.init) ?? 0, priority: priority, owners: owners,
            weights: weights, estimates: estimates, finish: finish, arrivals: Int(parts[5].integer ?? 0))
        for entry in try await notAdmitted() {
            let job = RedisJobQueue.claimed(entry).job
            if let owner = job?.payload.owner.description, !named.contains(owner) {
                named.insert(owner)
                try await loadCosts(of: owner, into: &state)
            }
            let since = Date(timeIntervalSince1970: Double(entry.id.split(separator: "-").first.flatMap { UInt64($0) } ?? 0) / 1000)
            state.admit(id: entry.id, videoId: job?.payload.videoId, owner: job.map { $0.payload.owner.description } ?? "-", since: since)
            let owner = job.map { $0.payload.owner.description } ?? "-"
            if let index = lines.firstIndex(where: { $0.owner == owner }) {
                lines[index].waiting += 1
            } else {
                lines.append(.init(owner: owner, waiting: 1, oldestSince: since, weight: weights[owner] ?? QueuePolicy.defaultWeight))
            }
        }
        let waiting = state.order().compactMap(\.videoId)
        let delayed = Int(try await redis.execute(["ZCARD", RedisNames.delayedJobs]).integer ?? 0)
        lines.sort { $0.waiting != $1.waiting ? $0.waiting > $1.waiting : $0.oldestSince < $1.oldestSince }
        return JobQueueSnapshot(waiting: waiting, inProgress: Int(parts[3].integer ?? 0), delayed: delayed, owners: lines)
    }

    /// What an owner the snapshot script did not name pays per job.
    private func loadCosts(of owner: String, into state: inout FairQueueState) async throws {
        let prefix = RedisNames.jobQueuePrefix
        let weight = try await redis.execute(["HGET", prefix + "weights", owner]).string.flatMap(Double.init)
        let estimate = try await redis.execute(["HGET", prefix + "estimates", owner]).string.flatMap(Double.init)
        let finish = try await redis.execute(["HGET", prefix + "finish", owner]).string.flatMap(Double.init)
        state.weights[owner] = weight
        state.estimates[owner] = estimate
        if let finish { state.setFinish(finish, of: owner) }
    }

    /// Entries after the group's last-delivered id (all of them before any worker ran).
    private func notAdmitted() async throws -> [RedisStreamEntry] {
        let group = try await redis.xinfoGroups(RedisNames.jobsStream).first { $0.name == RedisNames.processingGroup }
        let start = group.map { "(" + $0.lastDeliveredID } ?? "-"
        return try await redis.xrange(RedisNames.jobsStream, start: start, count: scanLimit)
    }

    public func deadLetterCount() async throws -> Int {
        try await redis.xlen(RedisNames.deadLetterStream)
    }

    public func setWeight(_ weight: Double, for owner: UserID) async throws {
        let key = RedisNames.jobQueuePrefix + "weights"
        if weight == QueuePolicy.defaultWeight {
            _ = try await redis.execute(["HDEL", key, owner.description])
        } else {
            _ = try await redis.execute(["HSET", key, owner.description, String(weight)])
        }
    }

    public func weight(of owner: UserID) async throws -> Double {
        let value = try await redis.execute(["HGET", RedisNames.jobQueuePrefix + "weights", owner.description])
        return value.string.flatMap(Double.init) ?? QueuePolicy.defaultWeight
    }

    public func prioritize(_ videoId: VideoID) async throws -> Bool {
        let reply = try await redis.run(
            FairQueueScripts.prioritize, keys: [], arguments: [RedisNames.jobQueuePrefix, videoId.description, policy.rawValue])
        return reply.integer == 1
    }

    /// A job of the snapshot script: `{id, owner, video, arrival, since}`.
    private static func job(_ value: RedisValue) -> FairQueueState.Job? {
        guard let fields = value.array?.map({ $0.string ?? "" }), fields.count == 5 else { return nil }
        return FairQueueState.Job(
            id: fields[0], videoId: VideoID(fields[2]), owner: fields[1], arrival: Int(fields[3]) ?? 0,
            since: Date(timeIntervalSince1970: (Double(fields[4]) ?? 0) / 1000))
    }
}

extension RedisJobQueue {
    public func setWeight(_ weight: Double, for owner: UserID) async throws {
        try await RedisJobQueueReader(redis: redis, policy: policy).setWeight(weight, for: owner)
    }

    public func weight(of owner: UserID) async throws -> Double {
        try await RedisJobQueueReader(redis: redis, policy: policy).weight(of: owner)
    }

    public func prioritize(_ videoId: VideoID) async throws -> Bool {
        try await RedisJobQueueReader(redis: redis, policy: policy).prioritize(videoId)
    }
}
