import ClipCutCore
import Logging
import ServiceLifecycle

/// Publishes the events queued in the repository's outbox to `clipcut:events`, then removes
/// them: an event is never lost when Redis is down at the moment of the change, and the
/// change is never undone by a failed publish. A redelivery after a crash between publish and
/// remove is harmless: consumers apply each `eventId` once.
struct OutboxRelay: Service {
    let repository: any UserRepository
    let publisher: any EventPublisher
    let interval: Duration
    let logger: Logger

    /// Publishes what is pending now; returns how many went out. Stops at the first failure.
    @discardableResult
    func flush() async -> Int {
        var published = 0
        do {
            for entry in try await repository.pendingOutbox(limit: 100) {
                try await publisher.publishRaw(entry.message)
                try await repository.removeOutbox(id: entry.id)
                published += 1
            }
        } catch {
            logger.warning("outbox relay could not publish yet", metadata: ["error": "\(error)"])
        }
        return published
    }

    /// Flushes every `interval` until graceful shutdown.
    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await flush()
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
