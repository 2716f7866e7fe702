import ClipCutCore
import Foundation
import Logging
import Redis
import Synchronization

/// Where processing-service reports: lifecycle events to `clipcut:events`, live progress to the
/// pub/sub channel `clipcut:progress:<videoId>` and the capped stream `clipcut:log:<videoId>`.
protocol EventReporter: Sendable {
    /// A lifecycle event (durable).
    func publish(_ message: some ClipCutMessage) async throws
    /// A progress update or log line (live; also kept in the video's capped log stream).
    func progress(_ event: VideoProgressEvent) async
}

/// ``EventReporter`` over Redis.
struct RedisEventReporter: EventReporter {
    let redis: RedisClient
    let logger: Logger

    /// Entries kept per video log stream.
    static let logLength = 2000

    func publish(_ message: some ClipCutMessage) async throws {
        try await redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: try message.jsonString()])
    }

    func progress(_ event: VideoProgressEvent) async {
        do {
            let json = try event.jsonString()
            let videoId = event.payload.videoId
            try await redis.xadd(RedisNames.logStream(for: videoId), fields: [RedisNames.messageField: json], maxLength: Self.logLength)
            _ = try await redis.expire(RedisNames.logStream(for: videoId), after: .seconds(7 * 86400))
            _ = try await redis.publish(json, to: RedisNames.progressChannel(for: videoId))
        } catch {
            logger.debug("progress not published", metadata: ["error": "\(error)"])  // live only: never fails a job
        }
    }
}

/// Turns a stream of ffmpeg snapshots into at most `perSecond` progress events, always letting
/// the first and the last through.
final class ProgressThrottle: Sendable {
    private let interval: Duration
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(perSecond: Double = 4) {
        interval = .milliseconds(Int64(1000 / perSecond))
    }

    /// Whether an update now should go out.
    func admit(force: Bool = false) -> Bool {
        let now = ContinuousClock.now
        return last.withLock { last in
            if !force, let previous = last, now - previous < interval { return false }
            last = now
            return true
        }
    }
}
