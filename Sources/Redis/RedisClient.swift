import Primitives
import Logging
import ServiceLifecycle
import Synchronization

/// A Redis client over hiredis: a small pool of connections on threads it owns, typed
/// commands, Streams with consumer groups, and pub/sub as `AsyncStream`s.
///
/// Run it in the `ServiceGroup`: ``run()`` waits for graceful shutdown and then closes
/// every connection and subscription. Tests may call ``shutdown()`` directly instead.
public final class RedisClient: Service, Sendable {
    /// What the client connects to.
    public let configuration: RedisConfiguration
    let logger: Logger
    private let commandPool: RedisConnectionPool
    private let blockingPool: RedisConnectionPool
    private let subscriptions = Mutex<[ObjectIdentifier: RedisSubscriber]>([:])

    /// Creates the client. No connection is made until the first command.
    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "clipcut.redis")) {
        self.configuration = configuration
        self.logger = logger
        self.commandPool = RedisConnectionPool(
            configuration: configuration, size: configuration.poolSize,
            readTimeout: configuration.commandTimeout, logger: logger
        )
        self.blockingPool = RedisConnectionPool(
            configuration: configuration, size: configuration.blockingPoolSize,
            readTimeout: nil, logger: logger
        )
    }

    /// Waits for graceful shutdown, then closes everything.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Finishes every subscription stream and closes all connections. Idempotent.
    public func shutdown() async {
        let active = subscriptions.withLock { subscriptions in
            defer { subscriptions.removeAll() }
            return Array(subscriptions.values)
        }
        for subscriber in active { subscriber.stop() }
        await commandPool.shutdown()
        await blockingPool.shutdown()
    }

    // MARK: Raw commands

    /// Sends a command given as byte strings and returns its reply.
    /// - Throws: ``RedisError/server(_:)`` for an error reply, connection errors otherwise.
    public func execute(_ arguments: [[UInt8]]) async throws -> RedisValue {
        let reply = try await commandPool.withConnection { try $0.command(arguments) }
        return try Self.checked(reply)
    }

    /// Sends a command given as strings and returns its reply.
    public func execute(_ arguments: [String]) async throws -> RedisValue {
        try await execute(arguments.map { Array($0.utf8) })
    }

    /// Sends a command that may block on the server (`XREADGROUP BLOCK`, `BLPOP`) on a
    /// connection reserved for such commands. Cancelling the task interrupts the wait.
    public func executeBlocking(_ arguments: [String]) async throws -> RedisValue {
        let bytes = arguments.map { Array($0.utf8) }
        let reply = try await blockingPool.withConnection { try $0.command(bytes) }
        return try Self.checked(reply)
    }

    static func checked(_ reply: RedisValue) throws -> RedisValue {
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    // MARK: Keys and strings

    /// `PING`: succeeds when the server answers.
    public func ping() async throws {
        _ = try await execute(["PING"])
    }

    /// `GET key` as text; `nil` when the key does not exist.
    public func get(_ key: String) async throws -> String? {
        try await execute(["GET", key]).string
    }

    /// `GET key` as bytes; `nil` when the key does not exist.
    public func getBytes(_ key: String) async throws -> [UInt8]? {
        try await execute(["GET", key]).bytes
    }

    /// `SET key value [PX ms] [NX]`. Returns whether the value was set (false only with `onlyIfAbsent`).
    @discardableResult
    public func set(_ key: String, to value: String, expiresIn: Duration? = nil, onlyIfAbsent: Bool = false) async throws -> Bool {
        try await set(key, to: Array(value.utf8), expiresIn: expiresIn, onlyIfAbsent: onlyIfAbsent)
    }

    /// `SET` with a binary value.
    @discardableResult
    public func set(_ key: String, to value: [UInt8], expiresIn: Duration? = nil, onlyIfAbsent: Bool = false) async throws -> Bool {
        var arguments: [[UInt8]] = [Array("SET".utf8), Array(key.utf8), value]
        if let expiresIn {
            arguments += [Array("PX".utf8), Array(String(max(1, expiresIn.clippedMilliseconds)).utf8)]
        }
        if onlyIfAbsent { arguments.append(Array("NX".utf8)) }
        return try await execute(arguments) != .null
    }

    /// `DEL key...`: the number of keys removed.
    @discardableResult
    public func delete(_ keys: String...) async throws -> Int {
        try await delete(keys)
    }

    /// `DEL` for a list of keys.
    @discardableResult
    public func delete(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return Int(try await execute(["DEL"] + keys).integer ?? 0)
    }

    /// `PEXPIRE key ms`: whether the key exists and got the timeout.
    @discardableResult
    public func expire(_ key: String, after duration: Duration) async throws -> Bool {
        try await execute(["PEXPIRE", key, String(max(1, duration.clippedMilliseconds))]).integer == 1
    }

    /// `PTTL key`: the remaining time to live, `nil` when the key has none or does not exist.
    public func timeToLive(_ key: String) async throws -> Duration? {
        guard let ms = try await execute(["PTTL", key]).integer, ms >= 0 else { return nil }
        return .milliseconds(ms)
    }

    /// `INCR key`: the value after the increment.
    public func increment(_ key: String) async throws -> Int64 {
        guard let value = try await execute(["INCR", key]).integer else {
            throw RedisError.unexpectedReply(command: "INCR", reply: "not an integer")
        }
        return value
    }

    /// `PUBLISH channel message`: the number of subscribers that received it.
    @discardableResult
    public func publish(_ message: String, to channel: String) async throws -> Int {
        Int(try await execute(["PUBLISH", channel, message]).integer ?? 0)
    }

    // MARK: Pub/sub

    /// Subscribes to channels on a dedicated connection with its own thread.
    ///
    /// Returns once the server has confirmed the subscription, so nothing published after
    /// the call returns is missed. The stream resubscribes by itself after Redis restarts
    /// (messages published while it was down are lost: pub/sub is for live data only).
    /// Stop it by ending the iteration or cancelling the iterating task.
    public func subscribe(to channels: [String]) async throws -> AsyncStream<RedisPubSubMessage> {
        try await startSubscriber(command: "SUBSCRIBE", targets: channels)
    }

    /// Like ``subscribe(to:)`` for glob patterns (`PSUBSCRIBE`), e.g. `clipcut:progress:*`.
    public func subscribe(toPatterns patterns: [String]) async throws -> AsyncStream<RedisPubSubMessage> {
        try await startSubscriber(command: "PSUBSCRIBE", targets: patterns)
    }

    /// Subscribes to channels on a dedicated connection whose thread hands every event to
    /// `handler`, in order and none dropped: each confirmation of the subscription (the first,
    /// and again after every reconnection, when whatever was published meanwhile is lost), each
    /// message, each disconnection. `handler` runs on that thread and holds up its reading: keep
    /// it short. Returns once the subscription is confirmed; ``shutdown()`` stops it too.
    public func watch(channels: [String], handler: @escaping @Sendable (RedisSubscriptionEvent) -> Void) async throws -> RedisSubscription {
        let key = Mutex<ObjectIdentifier?>(nil)
        let subscriber = RedisSubscriber(
            configuration: configuration, command: "SUBSCRIBE", targets: channels, logger: logger, deliver: handler,
            finish: { [weak self] in
                guard let id = key.withLock({ $0 }) else { return }
                _ = self?.subscriptions.withLock { $0.removeValue(forKey: id) }
            })
        key.withLock { $0 = ObjectIdentifier(subscriber) }
        subscriptions.withLock { $0[ObjectIdentifier(subscriber)] = subscriber }
        // A shutdown while Redis does not answer must not wait for the reconnection window.
        try await withTaskCancellationHandler { try await subscriber.start() } onCancel: { subscriber.stop() }
        return RedisSubscription(subscriber)
    }

    private func startSubscriber(command: String, targets: [String]) async throws -> AsyncStream<RedisPubSubMessage> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: RedisPubSubMessage.self, bufferingPolicy: .bufferingNewest(4096)
        )
        let subscriber = RedisSubscriber(
            configuration: configuration, command: command, targets: targets,
            continuation: continuation, logger: logger
        )
        let key = ObjectIdentifier(subscriber)
        subscriptions.withLock { $0[key] = subscriber }
        continuation.onTermination = { [weak self] _ in
            subscriber.stop()
            _ = self?.subscriptions.withLock { $0.removeValue(forKey: key) }
        }
        try await subscriber.start()
        return stream
    }
}

/// A subscription made with ``RedisClient/watch(channels:handler:)``.
public struct RedisSubscription: Sendable {
    private let subscriber: RedisSubscriber

    init(_ subscriber: RedisSubscriber) { self.subscriber = subscriber }

    /// Drops the connection and subscribes again on a new one (reported as `.disconnected`, then
    /// `.subscribed`): for a connection that went silent, which a blocking read would wait on.
    public func reconnect() { subscriber.reconnect() }

    /// Ends the subscription. Idempotent.
    public func cancel() { subscriber.stop() }
}
