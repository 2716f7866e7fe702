import Primitives
import Logging
import NIOPosix
import Synchronization

/// A fixed number of ``RedisConnection``s, each used by one task at a time on the pool's
/// own threads.
///
/// A caller first waits, cooperatively, on an ``AsyncSemaphore`` sized like the pool, so
/// by the time it reaches a thread a connection is its alone: no thread ever blocks waiting
/// for another one of the same pool. Broken connections are dropped; the next user
/// reconnects with exponential backoff for up to ``RedisConfiguration/reconnectWindow``.
final class RedisConnectionPool: Sendable {
    private let configuration: RedisConfiguration
    private let readTimeout: Duration?
    private let threadPool: NIOThreadPool
    private let permits: AsyncSemaphore
    private let idle = Mutex<[RedisConnection]>([])
    private let isShutDown = Atomic<Bool>(false)
    private let logger: Logger

    /// - Parameters:
    ///   - size: connections and threads.
    ///   - readTimeout: socket timeout for replies; `nil` blocks forever (blocking reads,
    ///     which the caller bounds with the command's own `BLOCK` argument).
    init(configuration: RedisConfiguration, size: Int, readTimeout: Duration?, logger: Logger) {
        self.configuration = configuration
        self.readTimeout = readTimeout
        self.threadPool = NIOThreadPool(numberOfThreads: size)
        self.threadPool.start()
        self.permits = AsyncSemaphore(permits: size)
        self.logger = logger
    }

    /// Runs `body` with a connection on one of the pool's threads.
    ///
    /// A pooled connection that the server had closed (it restarted since the connection was
    /// last used) fails before its command could have run; the body is then retried once on a
    /// fresh connection. Other failures, timeouts included, are thrown: the command may have run.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        guard !isShutDown.load(ordering: .relaxed) else { throw RedisError.shutdown }
        try await permits.acquire()
        defer { permits.release() }

        if let reused = idle.withLock({ $0.popLast() }) {
            do {
                return try await run(body, on: reused)
            } catch RedisError.connectionLost(let reason) where reused.wasClosedByPeer {
                try Task.checkCancellation()
                logger.debug("pooled Redis connection was dead, reconnecting", metadata: ["reason": "\(reason)"])
            }
        }
        let fresh = try await connectWithBackoff()
        return try await run(body, on: fresh)
    }

    /// Interrupts nothing in flight; closes idle connections and stops the threads once the
    /// current commands finish.
    func shutdown() async {
        guard !isShutDown.exchange(true, ordering: .relaxed) else { return }
        let connections = idle.withLock { idle in
            defer { idle.removeAll() }
            return idle
        }
        for connection in connections { connection.close() }
        try? await threadPool.shutdownGracefully()
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T, on connection: RedisConnection) async throws -> T {
        do {
            // Cancelling the task wakes a thread blocked on this socket (e.g. XREADGROUP BLOCK);
            // the connection is then broken and dropped.
            let result = try await withTaskCancellationHandler {
                try await threadPool.runIfActive { try body(connection) }
            } onCancel: {
                connection.interrupt()
            }
            recycle(connection)
            return result
        } catch {
            recycle(connection)
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    private func recycle(_ connection: RedisConnection) {
        if connection.isBroken || isShutDown.load(ordering: .relaxed) {
            connection.close()
        } else {
            idle.withLock { $0.append(connection) }
        }
    }

    /// Connects on a pool thread; between attempts it sleeps on the task, not the thread.
    func connectWithBackoff() async throws -> RedisConnection {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.reconnectWindow
        var delay = configuration.initialBackoff
        var attempt = 0
        while true {
            attempt += 1
            do {
                let configuration = self.configuration
                let readTimeout = self.readTimeout
                return try await threadPool.runIfActive {
                    try RedisConnection(configuration: configuration, readTimeout: readTimeout)
                }
            } catch let error as RedisError {
                guard case .connectionFailed(let reason) = error else { throw error }
                if clock.now + delay > deadline || isShutDown.load(ordering: .relaxed) {
                    logger.warning("Redis unreachable", metadata: ["attempts": "\(attempt)", "reason": "\(reason)"])
                    throw error
                }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.maximumBackoff)
            }
        }
    }
}
