import ClipCutCore
import Foundation
import Logging
import Redis
import ServiceLifecycle

/// Reads `clipcut:events` in the consumer group `monitoring` and projects every event into the
/// ``HistoryStore``, exactly once by `eventId`.
///
/// - Durable: events published while the service is down wait in the group and are read when it
///   comes back; this consumer first re-reads its own unacknowledged entries.
/// - An event is acknowledged only after it was stored; if the database fails, the entry stays
///   pending and is read again.
/// - A malformed entry is logged, copied to `clipcut:events:dead` with the reason, acknowledged,
///   and the consumer goes on; so is an entry that fails past the delivery cap.
/// - Entries left pending by a consumer that stopped (a pod replaced under another name) are
///   taken over after `CLIPCUT_EVENTS_CLAIM_IDLE_SECONDS`.
struct EventProjector: Service {
    let redis: RedisClient
    let store: any HistoryStore
    let consumer: String
    let logger: Logger
    /// Processing-time histograms, recorded as videos become ready.
    var metrics: PlatformMetrics?
    /// Take-over of a stopped consumer's entries, the delivery cap (`batch` 50).
    var options = GroupConsumerOptions(deadLetterStream: RedisNames.eventsDeadLetterStream, batch: 50)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await redis.consumeGroup(
                RedisNames.eventsStream, group: RedisNames.monitoringGroup, consumer: consumer, options: options, logger: logger
            ) { entry in try await handle(entry) }
        }
    }

    /// Stores one entry (or dead-letters it), then acknowledges it.
    func handle(_ entry: RedisStreamEntry) async throws {
        let raw = entry.fields[RedisNames.messageField] ?? ""
        let event: ClipCutEvent
        do {
            event = try ClipCutEvent.decode(from: raw)
        } catch {
            logger.error("malformed event dead-lettered", metadata: ["entry": "\(entry.id)", "error": "\(error)"])
            try await redis.xadd(
                options.deadLetterStream,
                fields: [RedisNames.messageField: raw, "reason": "\(error)", "entry": entry.id, "group": RedisNames.monitoringGroup],
                maxLength: 100_000)
            try await redis.xack(RedisNames.eventsStream, group: RedisNames.monitoringGroup, ids: [entry.id])
            return
        }
        let fresh = try await store.apply(event)
        if fresh, let metrics, case .videoReady(let ready) = event, let upload = try? await store.upload(ready.payload.videoId) {
            metrics.recordReady(upload)
        }
        try await redis.xack(RedisNames.eventsStream, group: RedisNames.monitoringGroup, ids: [entry.id])
    }
}
