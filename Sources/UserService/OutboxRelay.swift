import ClipCutCore
import Foundation
import Logging
import ServiceLifecycle

/// Publishes the events queued in the repository's outbox to `clipcut:events`, and removes
/// each once it is durable: still in the stream ``confirmAfter`` after it was appended (Redis
/// writes its append-only file once a second, so a crash can lose an `XADD` it had answered; a
/// lost entry is appended again). An event is never lost when Redis is down at the moment of
/// the change, and the change is never undone by a failed publish. A redelivery is harmless:
/// consumers apply each `eventId` once.
struct OutboxRelay: Service {
    let repository: any UserRepository
    let publisher: any EventPublisher
    let interval: Duration
    let logger: Logger

    /// How long after an append its entry must still be in the stream to count as durable.
    static let confirmAfter: TimeInterval = 2

    /// Publishes what is pending now and forgets what is confirmed; returns how many went out.
    /// Stops at the first failure.
    @discardableResult
    func flush(now: Date = Date()) async -> Int {
        var published = 0
        do {
            for entry in try await repository.pendingOutbox(limit: 100) {
                if let sentID = entry.sentID, let sentAt = entry.sentAt {
                    guard now.timeIntervalSince(sentAt) >= Self.confirmAfter else { continue }
                    if try await publisher.contains(sentID) {
                        try await repository.removeOutbox(id: entry.id)
                        continue
                    }
                    logger.warning("an event is missing from Redis (lost in a crash?); publishing it again", metadata: ["outbox": "\(entry.id)"])
                }
                let entryID = try await publisher.publishRaw(entry.message)
                try await repository.markOutboxSent(id: entry.id, entryID: entryID, at: now)
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
