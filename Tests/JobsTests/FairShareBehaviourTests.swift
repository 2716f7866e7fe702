import ClipCutCore
import Foundation
import Jobs
import Redis
import Testing

/// Fair shares across owners, on Redis and in memory: the same order from both, and the
/// snapshot's positions are the order workers really take the jobs.
@Suite("JobQueue fair shares, Redis and in memory", .serialized)
struct FairShareBehaviourTests {
    /// This suite's Redis database: the behaviour suite beside it flushes its own.
    static let database = 8

    /// Takes `count` jobs (never completing them) and returns whose they were.
    private func claim(_ count: Int, from queue: any JobQueue) async throws -> [ClaimedJob] {
        var taken: [ClaimedJob] = []
        for _ in 0..<count {
            taken.append(try #require(try await queue.claimNext(wait: .milliseconds(50))))
        }
        return taken
    }

    @Test("two owners with 10 jobs each alternate, whoever queued first", arguments: QueueKind.allCases)
    func alternate(kind: QueueKind) async throws {
        let queues = try await kind.make(database: Self.database)
        let a = UserID.random(), b = UserID.random()
        let jobsA = (0..<10).map { _ in newJob(owner: a) }, jobsB = (0..<10).map { _ in newJob(owner: b) }
        for job in jobsA + jobsB { try await queues.first.enqueue(job) }
        #expect(try await queues.first.snapshot().waiting.count == 20, "before any worker read them")
        // The first claim admits everything; the snapshot then reads the queue's own state.
        let first = try await claim(1, from: queues.second)
        let order = try await queues.first.snapshot().waiting
        let rest = try await claim(19, from: queues.second)
        let taken = first + rest
        #expect(taken.map { $0.job?.payload.owner } == (0..<20).map { $0 % 2 == 0 ? a : b }, "A, B, A, B…: A queued first")
        #expect(rest.compactMap { $0.job?.payload.videoId } == order, "the snapshot told the order the workers took")
        // Within one owner, first in, first out.
        #expect(taken.filter { $0.job?.payload.owner == b }.map { $0.job?.payload.videoId } == jobsB.map(\.payload.videoId))
        await queues.shutdown()
    }

    @Test("a new owner's first job runs next after the jobs in flight", arguments: QueueKind.allCases)
    func newOwnerNext(kind: QueueKind) async throws {
        let queues = try await kind.make(database: Self.database)
        let a = UserID.random()
        for _ in 0..<8 { try await queues.first.enqueue(newJob(owner: a)) }
        let running = try await claim(2, from: queues.first)
        let late = newJob(owner: .random())
        try await queues.second.enqueue(late)
        let snapshot = try await queues.second.snapshot()
        #expect(snapshot.position(of: late.payload.videoId) == .init(position: 1, ahead: 0, waiting: 7, inProgress: 2))
        #expect(try await queues.second.claimNext(wait: .milliseconds(50))?.job?.payload.videoId == late.payload.videoId)
        #expect(running.allSatisfy { $0.job?.payload.owner == a })
        if let redis = queues.redis {
            // KEDA's scaler reads the group's pending count: every admitted job not yet done.
            let group = try await redis.xinfoGroups(RedisNames.jobsStream).first { $0.name == RedisNames.processingGroup }
            #expect(group?.pending == 9 && group?.lag == 0)
        }
        await queues.shutdown()
    }

    @Test("a weight of 2 gets two jobs for every one of weight 1; the weight is read back", arguments: QueueKind.allCases)
    func weights(kind: QueueKind) async throws {
        let queues = try await kind.make(database: Self.database)
        let heavy = UserID.random(), light = UserID.random()
        try await queues.second.setWeight(2, for: heavy)
        #expect(try await queues.first.weight(of: heavy) == 2)
        #expect(try await queues.first.weight(of: light) == 1)
        for _ in 0..<10 { try await queues.first.enqueue(newJob(owner: light)) }
        for _ in 0..<10 { try await queues.first.enqueue(newJob(owner: heavy)) }
        let first = try await claim(1, from: queues.first)
        let order = try await queues.first.snapshot().waiting
        let rest = try await claim(8, from: queues.first)
        #expect((first + rest).filter { $0.job?.payload.owner == heavy }.count == 6)
        #expect(rest.compactMap { $0.job?.payload.videoId } == Array(order.prefix(8)), "the snapshot told the order")
        try await queues.second.setWeight(1, for: heavy)
        #expect(try await queues.first.weight(of: heavy) == 1)
        await queues.shutdown()
    }

    @Test("fifo: the oldest job whoever's it is", arguments: QueueKind.allCases)
    func fifo(kind: QueueKind) async throws {
        let queues = try await kind.make(policy: .fifo, database: Self.database)
        let a = UserID.random()
        let jobs = (0..<4).map { _ in newJob(owner: a) } + [newJob(), newJob(owner: a)]
        for job in jobs { try await queues.first.enqueue(job) }
        #expect(try await queues.first.snapshot().waiting == jobs.map(\.payload.videoId))
        let taken = try await claim(6, from: queues.second)
        #expect(taken.compactMap { $0.job?.payload.videoId } == jobs.map(\.payload.videoId))
        await queues.shutdown()
    }

    @Test("an administrator's priority: that video next, once; a running one cannot be", arguments: QueueKind.allCases)
    func priority(kind: QueueKind) async throws {
        let queues = try await kind.make(database: Self.database)
        let a = UserID.random(), b = UserID.random()
        let jobsA = (0..<4).map { _ in newJob(owner: a) }
        for job in jobsA + [newJob(owner: b)] { try await queues.first.enqueue(job) }
        let running = try #require(try await queues.first.claimNext(wait: .milliseconds(50)))
        let urgent = jobsA[3].payload.videoId
        #expect(try await queues.second.prioritize(urgent))
        #expect(try await queues.second.prioritize(urgent), "already first: still true")
        #expect(try await queues.second.snapshot().position(of: urgent)?.position == 1)
        #expect(try await queues.second.prioritize(try #require(running.job?.payload.videoId)) == false, "running")
        #expect(try await queues.second.prioritize(.random()) == false, "unknown")
        let next = try await claim(2, from: queues.second)
        #expect(next[0].job?.payload.videoId == urgent && next[1].job?.payload.owner == b, "then the fair order again")
        await queues.shutdown()
    }

    @Test("an entry read and never admitted (its reader died) is found and queued again (Redis)")
    func strandedEntry() async throws {
        let queues = try await QueueKind.redis.make(claimIdle: .seconds(1), database: Self.database)
        let redis = try #require(queues.redis)
        let job = newJob()
        try await queues.first.enqueue(job)
        // A worker reads it outside the admitting script and dies.
        _ = try await redis.execute(["XGROUP", "CREATE", RedisNames.jobsStream, RedisNames.processingGroup, "0"])
        #expect(try await redis.xreadgroup(RedisNames.jobsStream, group: RedisNames.processingGroup, consumer: "dead", count: 1).count == 1)
        #expect(try await queues.second.claimNext(wait: .milliseconds(50)) == nil, "read, not admitted: no worker can take it")
        try await Task.sleep(for: .milliseconds(1200))
        _ = try await queues.second.releaseDueRetries(now: Date())  // the periodic scan
        #expect(try await queues.second.claimNext(wait: .milliseconds(50))?.job?.payload.videoId == job.payload.videoId)
        await queues.shutdown()
    }

    @Test("completion charges what the job took: a long job moves its owner back", arguments: QueueKind.allCases)
    func chargesActualTime(kind: QueueKind) async throws {
        let queues = try await kind.make(database: Self.database)
        let slow = UserID.random(), quick = UserID.random()
        for _ in 0..<3 { try await queues.first.enqueue(newJob(owner: slow)) }
        for _ in 0..<3 { try await queues.first.enqueue(newJob(owner: quick)) }
        // Both are charged the default estimate at dispatch: equal tags, and the slow owner's
        // next job is older, so it would go next. The quick owner's job is done at once, so
        // their tag drops below the slow owner's, whose job is still running: quick goes next.
        let first = try await claim(2, from: queues.first)
        #expect(first.map { $0.job?.payload.owner } == [slow, quick])
        try await queues.first.complete(first[1])
        #expect(try await queues.second.claimNext(wait: .milliseconds(50))?.job?.payload.owner == quick)
        await queues.shutdown()
    }
}
