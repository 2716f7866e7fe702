import Primitives
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOPosix
import Synchronization

/// A message received on a subscribed channel.
public struct RedisPubSubMessage: Sendable, Equatable {
    /// The channel it was published to.
    public var channel: String
    /// The pattern that matched, for `PSUBSCRIBE` subscriptions.
    public var pattern: String?
    /// The published bytes.
    public var payload: [UInt8]

    /// The payload as UTF-8 text.
    public var text: String { String(decoding: payload, as: UTF8.self) }

    /// Parses a `message` or `pmessage` push; `nil` for anything else (confirmations).
    init?(_ reply: RedisValue) {
        guard let parts = reply.array, let kind = parts.first?.string else { return nil }
        switch kind {
        case "message" where parts.count == 3:
            guard let channel = parts[1].string, let payload = parts[2].bytes else { return nil }
            self.init(channel: channel, pattern: nil, payload: payload)
        case "pmessage" where parts.count == 4:
            guard let pattern = parts[1].string, let channel = parts[2].string, let payload = parts[3].bytes else { return nil }
            self.init(channel: channel, pattern: pattern, payload: payload)
        default:
            return nil
        }
    }

    /// Creates a message (for tests and fakes).
    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }
}

/// What a subscription's reader thread reports, in the order it happened.
public enum RedisSubscriptionEvent: Sendable, Equatable {
    /// The server confirmed the subscription: the first time, and again after each reconnection
    /// (anything published while the connection was down was lost).
    case subscribed
    /// A message on a subscribed channel.
    case message(RedisPubSubMessage)
    /// The connection broke; a reconnection follows unless the subscription was stopped.
    case disconnected
}

/// One subscription: a dedicated connection read by a dedicated thread that hands every event to
/// `deliver` on that thread (an `AsyncStream` for ``RedisClient/subscribe(to:)``). After a
/// connection loss it reconnects with backoff and subscribes again.
final class RedisSubscriber: Sendable {
    private let configuration: RedisConfiguration
    private let command: String
    private let targets: [String]
    private let deliver: @Sendable (RedisSubscriptionEvent) -> Void
    private let finish: @Sendable () -> Void
    private let logger: Logger
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let connection = Mutex<RedisConnection?>(nil)
    private let stopped = Atomic<Bool>(false)
    private let firstSubscription = Mutex<CheckedContinuation<Void, any Error>?>(nil)
    /// Who shuts the thread pool down: `stop()` once it runs, `start()` when `stop()` came while
    /// it was starting (NIO traps if a pool is shut down while its threads are still starting).
    private let lifecycle = Mutex<Lifecycle>(.idle)

    private enum Lifecycle {
        case idle, starting, running, stopped
    }

    /// A subscriber whose events go to `deliver`, called on its reader thread (keep it short);
    /// `finish` runs once when it stops.
    init(
        configuration: RedisConfiguration, command: String, targets: [String], logger: Logger,
        deliver: @escaping @Sendable (RedisSubscriptionEvent) -> Void, finish: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = configuration
        self.command = command
        self.targets = targets
        self.deliver = deliver
        self.finish = finish
        self.logger = logger
    }

    /// A subscriber feeding `continuation` with the messages, finishing it when it stops.
    convenience init(
        configuration: RedisConfiguration, command: String, targets: [String],
        continuation: AsyncStream<RedisPubSubMessage>.Continuation, logger: Logger
    ) {
        self.init(
            configuration: configuration, command: command, targets: targets, logger: logger,
            deliver: { event in if case .message(let message) = event { continuation.yield(message) } },
            finish: { continuation.finish() })
    }

    /// Drops the current connection (as if it broke): the reader reconnects and subscribes again.
    /// For a connection that went silent, which a blocking read would wait on for ever.
    func reconnect() {
        connection.withLock { $0?.interrupt() }
    }

    /// Starts the reader thread and returns once the server confirmed the subscription.
    func start() async throws {
        let begin = lifecycle.withLock { state in
            guard case .idle = state else { return false }
            state = .starting
            return true
        }
        guard begin else { throw RedisError.shutdown }
        thread.start()
        let stoppedWhileStarting = lifecycle.withLock { state in
            if case .stopped = state { return true }
            state = .running
            return false
        }
        if stoppedWhileStarting {
            thread.shutdownGracefully { _ in }
            throw RedisError.shutdown
        }
        try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
            firstSubscription.withLock { $0 = ready }
            // A stop() that came first found no continuation to resume: resume it here.
            if isStopped {
                signalFirstSubscription(RedisError.shutdown)
                return
            }
            thread.submit { [self] _ in readLoop() }
        }
    }

    /// Stops reading: wakes the thread, finishes the stream. Safe from any thread; idempotent.
    func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        connection.withLock { $0?.interrupt() }
        signalFirstSubscription(RedisError.shutdown)
        finish()
        let running = lifecycle.withLock { state in
            defer { state = .stopped }
            if case .running = state { return true }
            return false  // never started, or start() shuts it down when it sees .stopped
        }
        if running { thread.shutdownGracefully { _ in } }
    }

    private var isStopped: Bool { stopped.load(ordering: .sequentiallyConsistent) }

    /// Hands an event over, unless the subscription was stopped (nothing after its end).
    private func emit(_ event: RedisSubscriptionEvent) {
        if !isStopped { deliver(event) }
    }

    private func signalFirstSubscription(_ error: (any Error)?) {
        guard let ready = firstSubscription.withLock({ ready in defer { ready = nil }; return ready }) else { return }
        if let error { ready.resume(throwing: error) } else { ready.resume() }
    }

    private func readLoop() {
        let clock = ContinuousClock()
        let firstDeadline = clock.now + configuration.reconnectWindow
        var subscribedOnce = false
        var subscribedNow = false
        var delay = configuration.initialBackoff
        while !isStopped {
            do {
                try subscribeAndRead(onSubscribed: {
                    delay = configuration.initialBackoff
                    subscribedNow = true
                    emit(.subscribed)
                    if !subscribedOnce {
                        subscribedOnce = true
                        signalFirstSubscription(nil)
                    } else {
                        logger.info("Redis subscription resumed", metadata: ["targets": "\(targets)"])
                    }
                })
            } catch {
                connection.withLock { current in
                    current?.close()
                    current = nil
                }
                if isStopped { break }
                if subscribedNow {
                    subscribedNow = false
                    emit(.disconnected)
                }
                if !subscribedOnce && clock.now + delay > firstDeadline {
                    signalFirstSubscription(error)
                    stop()
                    break
                }
                logger.debug("Redis subscriber reconnecting", metadata: ["error": "\(error)"])
                usleep(UInt32(delay.clippedMilliseconds * 1000))
                delay = min(delay * 2, configuration.maximumBackoff)
            }
        }
    }

    /// One connection's life: subscribe, then deliver messages until it breaks.
    private func subscribeAndRead(onSubscribed: () -> Void) throws {
        let fresh = try RedisConnection(configuration: configuration, readTimeout: nil)
        connection.withLock { $0 = fresh }
        // stop() may have run before the connection was visible to it.
        if isStopped { throw RedisError.shutdown }
        try fresh.append(([command] + targets).map { Array($0.utf8) })
        for _ in targets {
            let confirmation = try fresh.nextReply()
            if case .error(let message) = confirmation { throw RedisError.server(message) }
        }
        onSubscribed()
        while !isStopped {
            if let message = RedisPubSubMessage(try fresh.nextReply()) {
                emit(.message(message))
            }
        }
    }
}
