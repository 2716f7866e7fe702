import ClipCutCore
import Redis

/// Appends lifecycle events (JSON) to `clipcut:events`.
protocol EventPublisher: Sendable {
    func publishRaw(_ json: String) async throws
}

/// ``EventPublisher`` over the Redis stream, field ``RedisNames/messageField``.
struct RedisEventPublisher: EventPublisher {
    let redis: RedisClient

    func publishRaw(_ json: String) async throws {
        try await redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: json])  // trimmed once acknowledged
    }
}
