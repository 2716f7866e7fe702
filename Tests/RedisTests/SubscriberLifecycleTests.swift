import Foundation
import Logging
import Testing

@testable import Redis

/// A subscription stopped while it is still starting (a feed closed at once, a shutdown during
/// start-up). NIO traps when a thread pool is shut down while its threads are still starting; the
/// full test run crashed that way once.
@Suite("Redis subscriber start and stop racing")
struct SubscriberLifecycleTests {
    @Test("stop() while start() runs, 100 times: no crash; start() either subscribes or throws")
    func stopDuringStart() async throws {
        let configuration = try TestRedis.configuration()
        for round in 0..<100 {
            let (_, continuation) = AsyncStream.makeStream(of: RedisPubSubMessage.self)
            let subscriber = RedisSubscriber(
                configuration: configuration, command: "SUBSCRIBE", targets: ["test:lifecycle:\(round)"],
                continuation: continuation, logger: Logger(label: "test"))
            async let started: Void = subscriber.start()
            if round % 2 == 0 { await Task.yield() }
            subscriber.stop()
            _ = try? await started
            subscriber.stop()  // idempotent
        }
        // stop() before start(): start() refuses and nothing is left running.
        let (_, continuation) = AsyncStream.makeStream(of: RedisPubSubMessage.self)
        let early = RedisSubscriber(
            configuration: configuration, command: "SUBSCRIBE", targets: ["test:lifecycle:early"], continuation: continuation,
            logger: Logger(label: "test"))
        early.stop()
        await #expect(throws: RedisError.self) { try await early.start() }
    }
}
