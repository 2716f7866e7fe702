import ClipCutCore
import Foundation
import Redis

/// Where the waiting jobs stand in `clipcut:jobs`, read the way processing-service consumes
/// it: entries after the `processing` group's last-delivered id are waiting, in order; entries
/// delivered but not acknowledged (XPENDING) are being worked on.
struct JobQueueInspector: Sendable {
    let redis: RedisClient
    /// At most this many waiting entries are read per inspection.
    var scanLimit = 10_000

    /// One look at the queue.
    struct Snapshot: Sendable, Equatable {
        /// Videos waiting, in the order processing-service will take them.
        var waiting: [VideoID]
        /// Jobs delivered to a worker and not yet acknowledged.
        var inProgress: Int
        /// Jobs waiting for a retry (the delayed set).
        var delayed: Int

        /// `position` is 1 for the next job a worker takes; `ahead` counts the jobs before it.
        struct Position: Codable, Sendable, Equatable {
            var position: Int
            var ahead: Int
            var waiting: Int
            var inProgress: Int
        }

        func position(of videoId: VideoID) -> Position? {
            guard let index = waiting.firstIndex(of: videoId) else { return nil }
            return Position(position: index + 1, ahead: index, waiting: waiting.count, inProgress: inProgress)
        }
    }

    /// The processing group's last-delivered id and pending count (`nil` when the stream or
    /// the group does not exist yet: then every entry waits).
    func groupState() async throws -> (lastDelivered: String, pending: Int)? {
        guard let group = try await redis.xinfoGroups(RedisNames.jobsStream).first(where: { $0.name == RedisNames.processingGroup })
        else { return nil }
        return (group.lastDeliveredID, group.pending)
    }

    func snapshot() async throws -> Snapshot {
        let group = try await groupState()
        let start = group.map { "(" + $0.lastDelivered } ?? "-"
        let entries = try await redis.xrange(RedisNames.jobsStream, start: start, count: scanLimit)
        let waiting = entries.compactMap { entry -> VideoID? in
            guard let json = entry.fields[RedisNames.messageField], case .transcodeRequested(let job)? = try? ClipCutEvent.decode(from: json)
            else { return nil }
            return job.payload.videoId
        }
        let delayed = Int(try await redis.execute(["ZCARD", RedisNames.delayedJobs]).integer ?? 0)
        return Snapshot(waiting: waiting, inProgress: group?.pending ?? 0, delayed: delayed)
    }
}
