import Foundation
import Redis
import Testing

@Suite("Redis configuration")
struct RedisConfigurationTests {
    @Test("parses redis URLs with password, port and database")
    func parsesURLs() throws {
        let full = try RedisConfiguration(url: "redis://:s3cret@cache.local:6380/2")
        #expect(full.host == "cache.local")
        #expect(full.port == 6380)
        #expect(full.password == "s3cret")
        #expect(full.database == 2)
        let bare = try RedisConfiguration(url: "redis://127.0.0.1")
        #expect(bare.port == 6379)
        #expect(bare.database == 0)
        #expect(bare.password == nil)
    }

    @Test("rejects malformed URLs", arguments: ["http://x", "redis://", "redis://h:99999", "redis://h:1/x", "redis://h:abc"])
    func rejectsMalformed(url: String) {
        #expect(throws: RedisError.invalidURL(url)) { try RedisConfiguration(url: url) }
    }
}

@Suite("Redis commands against a real server")
struct RedisCommandTests {
    @Test("GET, SET with expiry and NX, DEL, EXPIRE, INCR")
    func keyValue() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let key = TestRedis.uniqueKey("kv")
            #expect(try await redis.get(key) == nil)
            #expect(try await redis.set(key, to: "héllo ✓"))
            #expect(try await redis.get(key) == "héllo ✓")
            #expect(try await redis.set(key, to: "other", onlyIfAbsent: true) == false)
            #expect(try await redis.get(key) == "héllo ✓")

            #expect(try await redis.timeToLive(key) == nil)
            #expect(try await redis.expire(key, after: .seconds(60)))
            let ttl = try #require(try await redis.timeToLive(key))
            #expect(ttl > .seconds(50) && ttl <= .seconds(60))

            let counter = TestRedis.uniqueKey("counter")
            #expect(try await redis.increment(counter) == 1)
            #expect(try await redis.increment(counter) == 2)
            #expect(try await redis.delete(key, counter) == 2)
            #expect(try await redis.get(key) == nil)

            let expiring = TestRedis.uniqueKey("px")
            try await redis.set(expiring, to: "x", expiresIn: .milliseconds(50))
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await redis.get(expiring) == nil)
        }
    }

    @Test("binary values survive byte for byte, NUL bytes included")
    func binaryValues() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let key = TestRedis.uniqueKey("binary")
            let bytes: [UInt8] = (0...255).map(UInt8.init) + [0, 0, 13, 10]
            try await redis.set(key, to: bytes)
            #expect(try await redis.getBytes(key) == bytes)
            try await redis.delete(key)
        }
    }

    @Test("an error reply becomes RedisError.server and the connection stays usable")
    func errorReply() async throws {
        try await withRedis(poolSize: 1) { (redis: RedisClient) async throws in
            let key = TestRedis.uniqueKey("wrongtype")
            try await redis.set(key, to: "text")
            await #expect(throws: RedisError.self) { try await redis.increment(key) }
            do {
                _ = try await redis.execute(["NOSUCHCOMMAND"])
                Issue.record("expected an error reply")
            } catch RedisError.server(let message) {
                #expect(message.contains("unknown command"))
            }
            try await redis.ping()
            try await redis.delete(key)
        }
    }

    @Test("many concurrent commands share a small pool")
    func concurrentCommands() async throws {
        try await withRedis(poolSize: 2) { (redis: RedisClient) async throws in
            let key = TestRedis.uniqueKey("concurrent")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<200 {
                    group.addTask { _ = try await redis.increment(key) }
                }
                try await group.waitForAll()
            }
            #expect(try await redis.get(key) == "200")
            try await redis.delete(key)
        }
    }
}
