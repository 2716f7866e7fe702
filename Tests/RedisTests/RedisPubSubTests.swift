import Foundation
import Redis
import Synchronization
import Testing

@Suite("Redis pub/sub")
struct RedisPubSubTests {
    @Test("one publish reaches two subscribers, in order")
    func twoSubscribers() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let channel = TestRedis.uniqueKey("progress")
            let first = try await redis.subscribe(to: [channel])
            let second = try await redis.subscribe(to: [channel])
            for index in 0..<3 {
                #expect(try await redis.publish("message \(index)", to: channel) == 2)
            }
            let expected = ["message 0", "message 1", "message 2"]
            let receivedFirst = try await withDeadline { await Array(first.prefix(3)).map(\.text) }
            let receivedSecond = try await withDeadline { await Array(second.prefix(3)).map(\.text) }
            #expect(receivedFirst == expected)
            #expect(receivedSecond == expected)
        }
    }

    @Test("pattern subscriptions report the pattern and the channel")
    func patterns() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let prefix = TestRedis.uniqueKey("progress")
            let messages = try await redis.subscribe(toPatterns: ["\(prefix):*"])
            try await redis.publish("{\"percent\":50}", to: "\(prefix):video-1")
            let message = try await withDeadline { await messages.first { _ in true } }
            #expect(message?.channel == "\(prefix):video-1")
            #expect(message?.pattern == "\(prefix):*")
            #expect(message?.text == "{\"percent\":50}")
        }
    }

    @Test("a watch reports its subscription, every message in order, and after a reconnection that it subscribed again")
    func watchReportsReconnections() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let channel = TestRedis.uniqueKey("watch")
            let events = EventLog()
            let subscription = try await redis.watch(channels: [channel]) { event in events.list.withLock { $0.append(event) } }
            #expect(events.list.withLock { $0 } == [.subscribed])
            for index in 0..<50 { try await redis.publish("m\(index)", to: channel) }
            try await withDeadline {
                while events.list.withLock({ $0.count }) < 51 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(events.list.withLock { $0 }.dropFirst().map { event -> String in
                if case .message(let message) = event { return message.text } else { return "\(event)" }
            } == (0..<50).map { "m\($0)" })
            subscription.reconnect()
            try await withDeadline {
                while events.list.withLock({ $0.count }) < 53 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(Array(events.list.withLock { $0 }.suffix(2)) == [.disconnected, .subscribed])
            try await redis.publish("after", to: channel)
            try await withDeadline {
                while events.list.withLock({ $0.last }) != .message(RedisPubSubMessage(channel: channel, payload: Array("after".utf8))) {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            subscription.cancel()
            var remaining = 1
            for _ in 0..<200 where remaining > 0 {
                remaining = Int(try await redis.execute(["PUBSUB", "NUMSUB", channel]).array?.last?.integer ?? -1)
                if remaining > 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(remaining == 0)
        }
    }

    @Test("ending the iteration unsubscribes")
    func endingUnsubscribes() async throws {
        try await withRedis { (redis: RedisClient) async throws in
            let channel = TestRedis.uniqueKey("bye")
            let task = Task {
                let messages = try await redis.subscribe(to: [channel])
                for await _ in messages { break }
            }
            // Wait until the subscriber is counted, then deliver the one message it waits for.
            var receivers = 0
            for _ in 0..<200 where receivers == 0 {
                receivers = try await redis.publish("first", to: channel)
                if receivers == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(receivers == 1)
            try await withDeadline { try await task.value }
            var remaining = 1
            for _ in 0..<200 where remaining > 0 {
                remaining = Int(try await redis.execute(["PUBSUB", "NUMSUB", channel]).array?.last?.integer ?? -1)
                if remaining > 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(remaining == 0)
        }
    }
}

@Suite("Redis restarts", .serialized)
struct RedisRestartTests {
    @Test("the client reconnects and the subscriber resumes after redis-server is killed and restarted")
    func survivesRestart() async throws {
        let server = try OwnRedisServer()
        try server.start()
        let configuration = RedisConfiguration(port: server.port, reconnectWindow: .seconds(20))
        let redis = RedisClient(configuration: configuration)
        defer { Task { await redis.shutdown() } }

        // The server needs a moment to listen; the reconnect window covers it.
        try await redis.set("before", to: "1")
        let channel = "restart:channel"
        let messages = try await redis.subscribe(to: [channel])
        #expect(try await redis.publish("before restart", to: channel) == 1)
        var iterator = messages.makeAsyncIterator()
        #expect(await iterator.next()?.text == "before restart")

        server.kill()
        // While the server is down a command fails only after the reconnect window, so
        // restart it from another task and issue a command that must wait for it.
        let restart = Task {
            try await Task.sleep(for: .milliseconds(700))
            try server.start()
        }
        try await redis.set("after", to: "2")
        try await restart.value
        #expect(try await redis.get("after") == "2")
        // The old data is gone (no persistence): proof that this is a new server process.
        #expect(try await redis.get("before") == nil)

        // The subscriber resubscribes by itself; publish until it is back.
        var delivered = 0
        for _ in 0..<400 where delivered == 0 {
            delivered = try await redis.publish("after restart", to: channel)
            if delivered == 0 { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(delivered == 1)
        // `publish` counted the subscriber, so the message is already on its way.
        #expect(await iterator.next()?.text == "after restart")
        await redis.shutdown()
    }

    @Test("a command fails with connectionFailed when Redis stays down past the reconnect window")
    func failsWhenDown() async throws {
        let port = try freeTCPPort()
        let configuration = RedisConfiguration(port: port, reconnectWindow: .milliseconds(300))
        let redis = RedisClient(configuration: configuration)
        await #expect {
            try await redis.ping()
        } throws: { error in
            guard case RedisError.connectionFailed = error else { return false }
            return true
        }
        await #expect(throws: RedisError.self) { _ = try await redis.subscribe(to: ["nobody"]) }
        await redis.shutdown()
    }
}

/// What a watch reported, shared with its reader thread.
private final class EventLog: Sendable {
    let list = Mutex<[RedisSubscriptionEvent]>([])
}
