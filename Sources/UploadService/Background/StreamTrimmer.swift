import ClipCutCore
import Logging
import Redis
import ServiceLifecycle

/// Keeps `clipcut:jobs` and `clipcut:events` from growing without end, without losing work:
/// every `interval` it removes the entries that every consumer group has acknowledged
/// (``RedisClient/trimAcknowledged(_:)``). A lagging or stopped group holds the trim back
/// instead of losing what it has not read; the lag is a metric of monitoring-service.
struct StreamTrimmer: Service {
    let redis: RedisClient
    let interval: Duration
    let logger: Logger

    /// Entries this young stay even when acknowledged: the outbox confirms its entries by
    /// finding them in the stream (``VideoPublication``), which it does within seconds.
    static let confirmationWindow: Duration = .seconds(600)

    /// The streams trimmed.
    static let streams = [RedisNames.jobsStream, RedisNames.eventsStream]

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await trim()
                try await Task.sleep(for: interval)
            }
        }
    }

    func trim() async {
        for stream in Self.streams {
            do {
                let removed = try await redis.trimAcknowledged(stream, keeping: Self.confirmationWindow)
                if removed > 0 { logger.debug("stream trimmed", metadata: ["stream": "\(stream)", "removed": "\(removed)"]) }
            } catch {
                logger.warning("stream not trimmed", metadata: ["stream": "\(stream)", "error": "\(error)"])
            }
        }
    }
}
