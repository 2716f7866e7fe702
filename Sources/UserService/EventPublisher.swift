import ClipCutCore
import Redis

/// Appends lifecycle events (JSON) to `clipcut:events`.
protocol EventPublisher: Sendable {
    /// Appends one message to `clipcut:events`; returns the entry's id.
    @discardableResult
    func publishRaw(_ json: String) async throws -> String
    /// Whether entry `id` is in `clipcut:events` (not lost by a Redis crash).
    func contains(_ id: String) async throws -> Bool
}

/// ``EventPublisher`` over the Redis stream, field ``RedisNames/messageField``.
struct RedisEventPublisher: EventPublisher {
    let redis: RedisClient

    func publishRaw(_ json: String) async throws -> String {
        try await redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: json])  // trimmed once acknowledged
    }

    func contains(_ id: String) async throws -> Bool {
        !(try await redis.xrange(RedisNames.eventsStream, start: id, end: id, count: 1).isEmpty)
    }
}
