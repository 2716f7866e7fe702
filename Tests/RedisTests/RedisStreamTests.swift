import Foundation
import Redis
import Testing

@Suite("Redis streams and consumer groups")
struct RedisStreamTests {
    @Test("two consumers in one group each get distinct messages, together all of them")
    func distinctDelivery() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let stream = TestRedis.uniqueKey("jobs")
            #expect(try await redis.xgroupCreate(stream, group: "workers", startID: "0"))
            #expect(try await redis.xgroupCreate(stream, group: "workers", startID: "0") == false)
            var added: Set<String> = []
            for index in 0..<40 {
                added.insert(try await redis.xadd(stream, fields: ["job": String(index)]))
            }
            async let first = drain(redis, stream: stream, consumer: "a")
            async let second = drain(redis, stream: stream, consumer: "b")
            let (a, b) = try await (first, second)
            #expect(Set(a).isDisjoint(with: Set(b)))
            #expect(Set(a).union(b) == added)
            #expect(a.count + b.count == 40)
            let pending = try await redis.xpending(stream, group: "workers")
            #expect(pending.count == 0)
            try await redis.delete(stream)
        }
    }

    private func drain(_ redis: RedisClient, stream: String, consumer: String) async throws -> [String] {
        var seen: [String] = []
        while true {
            let entries = try await redis.xreadgroup(stream, group: "workers", consumer: consumer, count: 3)
            if entries.isEmpty { return seen }
            seen += entries.map(\.id)
            try await redis.xack(stream, group: "workers", ids: entries.map(\.id))
            await Task.yield()
        }
    }

    @Test("a message read and not acked is taken over by XAUTOCLAIM after the idle time")
    func autoclaim() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let stream = TestRedis.uniqueKey("claim")
            try await redis.xgroupCreate(stream, group: "g", startID: "0")
            let id = try await redis.xadd(stream, fields: ["payload": "{\"n\":1}"])
            let read = try await redis.xreadgroup(stream, group: "g", consumer: "dead-worker")
            #expect(read.map(\.id) == [id])

            // Not idle long enough yet: nothing to claim.
            let early = try await redis.xautoclaim(stream, group: "g", consumer: "rescuer", minIdle: .seconds(60))
            #expect(early.entries.isEmpty)

            try await Task.sleep(for: .milliseconds(300))
            let claimed = try await redis.xautoclaim(stream, group: "g", consumer: "rescuer", minIdle: .milliseconds(200))
            #expect(claimed.entries.map(\.id) == [id])
            #expect(claimed.entries.first?.fields["payload"] == "{\"n\":1}")
            #expect(claimed.nextStart == "0-0")

            let pending = try await redis.xpending(stream, group: "g", count: 10)
            #expect(pending.count == 1)
            #expect(pending.first?.consumer == "rescuer")
            #expect(pending.first?.deliveries == 2)
            let summary = try await redis.xpending(stream, group: "g")
            #expect(summary.consumers == ["rescuer": 1])

            #expect(try await redis.xack(stream, group: "g", ids: [id]) == 1)
            #expect(try await redis.xpending(stream, group: "g").count == 0)
            try await redis.delete(stream)
        }
    }

    @Test("XAUTOCLAIM reports pending entries whose message was deleted")
    func autoclaimDeleted() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let stream = TestRedis.uniqueKey("claimdel")
            try await redis.xgroupCreate(stream, group: "g", startID: "0")
            let id = try await redis.xadd(stream, fields: ["k": "v"])
            _ = try await redis.xreadgroup(stream, group: "g", consumer: "c1")
            #expect(try await redis.xdel(stream, ids: [id]) == 1)
            let claimed = try await redis.xautoclaim(stream, group: "g", consumer: "c2", minIdle: .zero)
            #expect(claimed.entries.isEmpty)
            #expect(claimed.deletedIDs == [id])
            try await redis.delete(stream)
        }
    }

    @Test("XRANGE, XREVRANGE, XLEN and approximate MAXLEN trimming")
    func rangesAndTrimming() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let stream = TestRedis.uniqueKey("log")
            var ids: [String] = []
            for index in 0..<5 {
                ids.append(try await redis.xadd(stream, fields: ["line": "line \(index)", "n": String(index)]))
            }
            #expect(try await redis.xlen(stream) == 5)
            #expect(try await redis.xrange(stream).map(\.id) == ids)
            #expect(try await redis.xrange(stream, start: "(\(ids[1])", count: 2).map(\.id) == Array(ids[2...3]))
            #expect(try await redis.xrevrange(stream, count: 2).map(\.id) == [ids[4], ids[3]])
            #expect(try await redis.xrange(stream).first?.fields == ["line": "line 0", "n": "0"])

            let capped = TestRedis.uniqueKey("capped")
            for index in 0..<2000 {
                try await redis.xadd(capped, fields: ["n": String(index)], maxLength: 100)
            }
            let length = try await redis.xlen(capped)
            #expect(length >= 100 && length < 2000)
            try await redis.delete(stream, capped)
        }
    }

    @Test("a blocking XREADGROUP wakes on XADD and does not hold up other commands")
    func blockingRead() async throws {
        try await withRedis(poolSize: 1, blockingPoolSize: 1) { (redis: RedisClient) async throws in
            let stream = TestRedis.uniqueKey("block")
            try await redis.xgroupCreate(stream, group: "g")
            // A block far longer than the test needs: it returns as soon as the XADD lands. With
            // 20 s, the full suite's load on a slow 2-core machine made the pings below outlast it
            // (the test took 54 s): the read timed out empty before the XADD was sent.
            let reader = Task {
                try await redis.xreadgroup(stream, group: "g", consumer: "c", block: .seconds(120))
            }
            // While the read blocks, the command pool (size 1) keeps answering.
            for _ in 0..<20 { try await redis.ping() }
            try await Task.sleep(for: .milliseconds(100))
            let id = try await redis.xadd(stream, fields: ["job": "1"])
            let entries = try await withDeadline(.seconds(120)) { try await reader.value }
            #expect(entries.map(\.id) == [id])
            try await redis.delete(stream)
        }
    }

    @Test("cancelling a blocking XREADGROUP ends it and frees its connection")
    func cancelBlockingRead() async throws {
        try await withRedis(blockingPoolSize: 1) { (redis: RedisClient) async throws in
            let stream = TestRedis.uniqueKey("cancel")
            try await redis.xgroupCreate(stream, group: "g")
            let reader = Task {
                try await redis.xreadgroup(stream, group: "g", consumer: "c", block: .seconds(600))
            }
            try await Task.sleep(for: .milliseconds(200))
            reader.cancel()
            let outcome = try await withDeadline { await reader.result }
            #expect(throws: CancellationError.self) { try outcome.get() }
            // The single blocking connection is usable again.
            let id = try await redis.xadd(stream, fields: ["job": "2"])
            let entries = try await withDeadline {
                try await redis.xreadgroup(stream, group: "g", consumer: "c", block: .seconds(5))
            }
            #expect(entries.map(\.id) == [id])
            try await redis.delete(stream)
        }
    }
}
