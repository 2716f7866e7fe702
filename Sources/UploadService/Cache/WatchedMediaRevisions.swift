import ClipCutCore
import Logging
import Redis
import ServiceLifecycle
import Synchronization

/// ``MediaRevisions`` in Redis that remembers the revisions it has read while Redis tells every
/// replica of each change (``RedisNames/mediaRevisionChanges``), so that a media request for a
/// video that has not changed asks Redis nothing: the per-request `GET` was the last round trip
/// between a viewer and a cached segment (`scripts/bench playback`).
///
/// - A bump forgets the video here, increments its revision and announces it on the channel in
///   one script, and returns once this replica's own subscription has heard it and every live
///   peer (whose pings it hears) has acknowledged it, or after `staleness`, when a peer that has
///   not heard it no longer trusts its memory: once a deletion returns, no replica answers for
///   the video from memory.
/// - Memory is trusted only while the subscription provably hears (``MediaRevisionMemory``):
///   each replica publishes `ping` every `pingInterval`, and trusts memory only while the newest
///   of its own pings that came back was sent less than `staleness` ago. Redis delivers a
///   channel's messages in order, so a replica that trusts memory has heard every change
///   published more than `staleness` ago, even if its connection broke or its reader fell behind;
///   in the normal case it hears a change within a millisecond.
/// - A reconnection forgets everything (what was published meanwhile is lost); a subscription
///   that heard nothing of its own for `reconnectAfter` is made again (a half-open connection
///   would block its reader for ever). Without a subscription every answer is a `GET`, and
///   without Redis ``MediaLookups`` asks MongoDB, as before.
///
/// A `Service`: until it runs, every answer is a `GET`.
final class WatchedMediaRevisions: MediaRevisions, Service {
    /// How often it proves its subscription, and how long memory stays trusted without proof.
    struct Timing: Sendable {
        var pingInterval: Duration = .milliseconds(250)
        var staleness: Duration = .seconds(1)
        var reconnectAfter: Duration = .seconds(3)
        /// Videos remembered at most (all forgotten when full).
        var capacity = 100_000
    }

    /// A change made here, until its bump returns.
    private struct Echo {
        /// Heard back on this replica's own subscription.
        var heardHere = false
        /// Live peers that have not acknowledged it yet.
        var awaiting: Set<String>
        var waiter: CheckedContinuation<Void, Never>?

        var isSettled: Bool { heardHere && awaiting.isEmpty }
    }

    private struct State {
        var memory: MediaRevisionMemory
        /// This replica's bumps, by nonce.
        var echoes: [String: Echo] = [:]

        /// The bump's waiter to wake, if `nonce` has now been heard everywhere it must be.
        mutating func settle(_ nonce: String) -> CheckedContinuation<Void, Never>? {
            guard let echo = echoes[nonce], echo.isSettled, let waiter = echo.waiter else { return nil }
            echoes[nonce] = nil
            return waiter
        }
    }

    private let redis: RedisClient
    private let channel: String
    private let timing: Timing
    private let logger: Logger
    private let state: Mutex<State>
    private let subscription = Mutex<RedisSubscription?>(nil)
    /// Acknowledgements to publish, from the subscription's thread to ``run()``.
    private let acknowledgements: (stream: AsyncStream<String>, continuation: AsyncStream<String>.Continuation)

    private static let bumpScript = RedisScript("""
        redis.call('INCR', KEYS[1])
        redis.call('EXPIRE', KEYS[1], 86400)
        redis.call('PUBLISH', ARGV[1], ARGV[2])
        return 1
        """)

    /// Revisions in `redis`, their changes announced on `channel` (tests use channels of their own).
    init(redis: RedisClient, channel: String = RedisNames.mediaRevisionChanges, timing: Timing = .init(), logger: Logger) {
        self.redis = redis
        self.channel = channel
        self.timing = timing
        self.logger = logger
        let replica = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        state = Mutex(State(memory: MediaRevisionMemory(replica: replica, staleness: timing.staleness, capacity: timing.capacity)))
        acknowledgements = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    func current(_ videoId: VideoID) async throws -> String? {
        let now = ContinuousClock.now
        let mark: UInt64?
        switch state.withLock({ $0.memory.answer(videoId, at: now) }) {
        case .remembered(let value): return value
        case .ask(let value): mark = value
        }
        let value = try await redis.get(RedisNames.mediaRevision(videoId))
        if let mark { state.withLock { $0.memory.remember(videoId, value, mark: mark) } }
        return value
    }

    func bump(_ videoId: VideoID) async throws {
        let now = ContinuousClock.now
        let (text, nonce) = state.withLock { state -> (String, String) in
            state.memory.changing(videoId)
            let message = state.memory.changeMessage(videoId)
            // Registered before publishing: the echo and the acknowledgements may come before
            // the script's reply. Unsubscribed, it cannot know who listens: it waits for nobody.
            if state.memory.subscribed { state.echoes[message.nonce] = Echo(awaiting: state.memory.livePeers(at: now)) }
            return message
        }
        do {
            _ = try await redis.run(Self.bumpScript, keys: [RedisNames.mediaRevision(videoId)], arguments: [channel, text])
        } catch {
            _ = state.withLock { $0.echoes.removeValue(forKey: nonce) }
            throw error
        }
        await waitUntilHeard(nonce)
    }

    /// Subscribes (again, while Redis is away), proves the subscription every `pingInterval`,
    /// remakes it when it goes silent, and publishes the acknowledgements of other replicas'
    /// changes; until graceful shutdown.
    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await acknowledgement in self.acknowledgements.stream {
                        _ = try? await self.redis.publish(acknowledgement, to: self.channel)
                    }
                }
                group.addTask { try await self.keepSubscribed() }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
        subscription.withLock { subscription in
            subscription?.cancel()
            subscription = nil
        }
        handle(.disconnected)
    }

    private func keepSubscribed() async throws {
        var failing = false
        while !Task.isCancelled {
            if subscription.withLock({ $0 }) == nil {
                do {
                    let made = try await redis.watch(channels: [channel]) { [weak self] in self?.handle($0) }
                    subscription.withLock { $0 = made }
                    failing = false
                } catch {
                    if !failing { logger.warning("media revision changes not heard; every media request asks Redis", metadata: ["error": "\(error)"]) }
                    failing = true
                }
            }
            if subscription.withLock({ $0 }) != nil {
                let ping = state.withLock { $0.memory.ping(at: .now) }
                _ = try? await redis.publish(ping, to: channel)
            }
            try await Task.sleep(for: timing.pingInterval)
            let now = ContinuousClock.now
            let silent = state.withLock { state in
                guard state.memory.subscribed, let since = state.memory.heardUpTo ?? state.memory.subscribedAt else { return false }
                return now - since > timing.reconnectAfter
            }
            if silent {
                logger.warning("media revision changes went silent; subscribing again")
                reconnect()
            }
        }
    }

    /// Whether revisions are answered from memory now.
    var isListening: Bool {
        let now = ContinuousClock.now
        return state.withLock { $0.memory.trusted(at: now) }
    }

    /// The other replicas heard from lately, whose acknowledgement a bump waits for.
    var livePeers: Set<String> {
        let now = ContinuousClock.now
        return state.withLock { $0.memory.livePeers(at: now) }
    }

    /// Drops the subscription's connection; it subscribes again on a new one, forgetting
    /// everything remembered.
    func reconnect() {
        subscription.withLock { $0 }?.reconnect()
    }

    /// What the subscription's thread reports (kept short: it holds up the reading).
    func handle(_ event: RedisSubscriptionEvent) {
        let now = ContinuousClock.now
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch event {
            case .subscribed:
                state.memory.subscribed(at: now)
            case .disconnected:
                state.memory.disconnected()  // bumps waiting go on waiting, up to the staleness limit
            case .message(let message):
                switch state.memory.heard(message.text, at: now) {
                case .nothing: break
                case .ownChange(let nonce):
                    state.echoes[nonce]?.heardHere = true
                    return state.settle(nonce)
                case .peerChange(let acknowledgement):
                    acknowledgements.continuation.yield(acknowledgement)
                case .acknowledged(let nonce, let peer):
                    state.echoes[nonce]?.awaiting.remove(peer)
                    return state.settle(nonce)
                }
            }
            return nil
        }
        wake?.resume()
    }

    /// Waits until `nonce` was heard here and acknowledged by every live peer, at most the
    /// staleness limit: by then a peer that has not heard it no longer trusts its memory.
    private func waitUntilHeard(_ nonce: String) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let wait = self.state.withLock { state -> Bool in
                        guard let echo = state.echoes[nonce], !echo.isSettled else {
                            state.echoes[nonce] = nil
                            return false
                        }
                        state.echoes[nonce]?.waiter = continuation
                        return true
                    }
                    if !wait { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: self.timing.staleness)
                self.state.withLock { $0.echoes.removeValue(forKey: nonce) }?.waiter?.resume()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
