import ClipCutCore
import Foundation
import Jobs
import Redis
import Testing

/// What administrators see beyond the waiting line (in the fair-share suite: its database, serialized).
extension FairShareBehaviourTests {
    /// The inspector of `queues`: the Redis reader, or the memory queue itself.
    func inspector(_ queues: QueuePair) throws -> any JobQueueInspector {
        if let redis = queues.redis { return RedisJobQueueReader(redis: redis) }
        return try #require(queues.first as? any JobQueueInspector)
    }

    @Test("running jobs name their workers; dead letters are listed newest first, found by id and removed once", arguments: QueueKind.allCases)
    func inspection(kind: QueueKind) async throws {
        let queues = try await kind.make(database: Self.database)
        let inspector = try inspector(queues)
        let jobs = (0..<3).map { _ in newJob(attempt: 3) }
        for job in jobs { try await queues.first.enqueue(job) }
        let a = try #require(try await queues.first.claimNext(wait: .milliseconds(50)))
        let b = try #require(try await queues.second.claimNext(wait: .milliseconds(50)))
        let running = try await inspector.running()
        #expect(Set(running.map(\.worker)) == ["worker-a", "worker-b"])
        #expect(Set(running.compactMap(\.videoId)) == Set([a, b].compactMap { $0.job?.payload.videoId }))
        #expect(running.allSatisfy { $0.since.map { abs($0.timeIntervalSinceNow) < 60 } == true })

        try await queues.first.deadLetter(a, reason: "ffmpeg failed. (after 3 attempts)", attempts: 3)
        try await queues.second.deadLetter(b, reason: "its worker stopped 3 times", attempts: 4)
        #expect(try await inspector.running().isEmpty)
        let dead = try await inspector.deadLetters(limit: 10)
        #expect(dead.map(\.reason) == ["its worker stopped 3 times", "ffmpeg failed. (after 3 attempts)"])
        #expect(dead.map(\.attempts) == [4, 3])
        #expect(dead.map { $0.job?.payload.videoId } == [b, a].map { $0.job?.payload.videoId })
        #expect(dead.allSatisfy { DeadLetterEntry.isValidID($0.id) && abs($0.at.timeIntervalSinceNow) < 60 })
        let first = try #require(dead.last)
        #expect(try await inspector.deadLetter(id: first.id) == first)
        #expect(try await inspector.removeDeadLetter(id: first.id))
        #expect(try await inspector.removeDeadLetter(id: first.id) == false)
        #expect(try await inspector.deadLetter(id: first.id) == nil)
        #expect(try await inspector.deadLetters(limit: 10).count == 1)
        #expect(try await queues.first.deadLetterCount() == 1)
        // Ids that are not a dead letter's shape never reach the store.
        for bad in ["", "-", "1-", "x-1", "1-2-3", "+", "1-0 OR 1"] {
            #expect(try await inspector.deadLetter(id: bad) == nil, "\(bad)")
            #expect(try await inspector.removeDeadLetter(id: bad) == false, "\(bad)")
        }
        await queues.shutdown()
    }
}
