import Foundation
import Logging
import Redis
import Synchronization
import Testing

@Suite("consumeGroup: take-over of a stopped consumer's entries, a delivery cap, a dead letter")
struct GroupConsumerTests {
    /// Runs `consumeGroup` as `consumer` until `done` holds (or 30 s pass), then stops it.
    static func consume(
        _ redis: RedisClient, stream: String, consumer: String, options: GroupConsumerOptions,
        until done: @escaping @Sendable () async throws -> Bool, handle: @escaping @Sendable (RedisStreamEntry) async throws -> Void
    ) async throws {
        try await withDeadline(.seconds(30)) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await redis.consumeGroup(stream, group: "g", consumer: consumer, options: options, logger: Logger(label: "test")) { entry in
                        try await handle(entry)
                    }
                }
                while try await !done() { try await Task.sleep(for: .milliseconds(100)) }
                group.cancelAll()
            }
        }
    }

    @Test("entries a dead consumer read and never acknowledged are handled by a consumer with another name")
    func takeOver() async throws {
        try await withRedis { redis in
            let stream = TestRedis.uniqueKey("takeover"), dead = TestRedis.uniqueKey("takeover-dead")
            try await redis.xgroupCreate(stream, group: "g", startID: "0")
            for n in 1...3 { _ = try await redis.xadd(stream, fields: ["n": String(n)]) }
            // The pod that died: it read the batch and was gone before it acknowledged any of it.
            #expect(try await redis.xreadgroup(stream, group: "g", consumer: "pod-a", count: 10).count == 3)
            _ = try await redis.xadd(stream, fields: ["n": "4"])
            let seen = Mutex<[String]>([])
            let options = GroupConsumerOptions(deadLetterStream: dead, claimIdle: .milliseconds(300))
            try await Self.consume(redis, stream: stream, consumer: "pod-b", options: options, until: { seen.withLock { $0.count } >= 4 }) { entry in
                seen.withLock { $0.append(entry.fields["n"] ?? "") }
                _ = try await redis.xack(stream, group: "g", ids: [entry.id])
            }
            #expect(Set(seen.withLock { $0 }) == ["1", "2", "3", "4"])
            #expect(try await redis.xpending(stream, group: "g").count == 0)
            try await redis.delete(stream, dead)
        }
    }

    @Test("an entry that fails every time goes to the dead letter with its error after the cap; the others are handled")
    func poisonEntry() async throws {
        try await withRedis { redis in
            let stream = TestRedis.uniqueKey("poison"), dead = TestRedis.uniqueKey("poison-dead")
            try await redis.xgroupCreate(stream, group: "g", startID: "0")
            for n in ["1", "poison", "3"] { _ = try await redis.xadd(stream, fields: ["n": n]) }
            let handled = Mutex<[String]>([])
            let attempts = Mutex(0)
            let options = GroupConsumerOptions(deadLetterStream: dead, maxDeliveries: 3, longestPause: .milliseconds(50))
            try await Self.consume(redis, stream: stream, consumer: "c", options: options, until: { handled.withLock { $0.count } >= 2 }) { entry in
                if entry.fields["n"] == "poison" {
                    attempts.withLock { $0 += 1 }
                    throw PoisonError()
                }
                handled.withLock { $0.append(entry.fields["n"] ?? "") }
                _ = try await redis.xack(stream, group: "g", ids: [entry.id])
            }
            #expect(handled.withLock { $0 } == ["1", "3"], "in order, the poison skipped once given up")
            #expect(attempts.withLock { $0 } == 3, "handled up to the cap, not more")
            let letters = try await redis.xrange(dead)
            #expect(letters.count == 1)
            #expect(letters.first?.fields["n"] == "poison" && letters.first?.fields["group"] == "g")
            #expect(letters.first?.fields["reason"]?.contains("PoisonError") == true)
            #expect(letters.first?.fields["deliveries"] == "4")
            #expect(try await redis.xpending(stream, group: "g").count == 0)
            try await redis.delete(stream, dead)
        }
    }

    @Test("trimming removes only what every group acknowledged: a lagging group keeps its unread and pending entries")
    func trimAcknowledgedOnly() async throws {
        try await withRedis { redis in
            let stream = TestRedis.uniqueKey("trim")
            var ids: [String] = []
            for n in 1...6 { ids.append(try await redis.xadd(stream, fields: ["n": String(n)])) }
            #expect(try await redis.trimAcknowledged(stream) == 0, "no group: nothing is known to be read")
            try await redis.xgroupCreate(stream, group: "fast", startID: "0")
            try await redis.xgroupCreate(stream, group: "slow", startID: "0")
            // fast read and acknowledged everything; slow read three, acknowledged the first two.
            let fast = try await redis.xreadgroup(stream, group: "fast", consumer: "f", count: 10)
            _ = try await redis.xack(stream, group: "fast", ids: fast.map(\.id))
            let slow = try await redis.xreadgroup(stream, group: "slow", consumer: "s", count: 3)
            _ = try await redis.xack(stream, group: "slow", ids: Array(slow.prefix(2).map(\.id)))
            #expect(try await redis.trimAcknowledged(stream, keeping: .seconds(600)) == 0, "entries younger than 10 minutes stay")
            #expect(try await redis.trimAcknowledged(stream) == 2)
            #expect(try await redis.xrange(stream).map(\.id) == Array(ids[2...]), "slow's pending entry and its unread ones stay")
            let groups = try await redis.xinfoGroups(stream)
            #expect(groups.first { $0.name == "slow" }?.pending == 1)
            #expect(groups.first { $0.name == "slow" }?.lag == 3)
            // Once slow has acknowledged its pending entry and read the rest, they can go too.
            let rest = try await redis.xreadgroup(stream, group: "slow", consumer: "s", count: 10)
            _ = try await redis.xack(stream, group: "slow", ids: [slow[2].id] + rest.map(\.id))
            #expect(try await redis.trimAcknowledged(stream) == 3)
            #expect(try await redis.xrange(stream).map(\.id) == [ids[5]], "the last handed-out entry stays as the group's position")
            try await redis.delete(stream)
        }
    }
}

struct PoisonError: Error {}
