import Primitives
import ClipCutCore
import Foundation
import Redis
import Synchronization

/// A captioning attempt taken from the schedule: it stays there, due again when its lease ends,
/// until it is finished, so a worker that dies during it loses nothing.
public struct CaptionAttemptLease: Sendable, Equatable {
    /// The video to caption.
    public var videoId: VideoID
    /// Which attempt (1 first).
    public var attempt: Int
    let lease: RedisLease
}

/// Captioning attempts for videos that became `ready` while audio-service was unavailable.
public protocol CaptionRetrySchedule: Sendable {
    /// Schedules attempt `attempt` for the video after `delay`.
    func schedule(_ videoId: VideoID, attempt: Int, after delay: Duration) async throws
    /// Takes one due attempt, atomically (one worker gets it), leased for `lease`.
    func takeDue(now: Date, lease: Duration) async throws -> CaptionAttemptLease?
    /// Removes a taken attempt once it ran, unless the run scheduled the same attempt again.
    func finish(_ lease: CaptionAttemptLease) async throws
}

/// ``CaptionRetrySchedule`` in the sorted set ``RedisNames/captionRetries`` (member
/// `<videoId>|<attempt>`, score: when due), leased with ``RedisClient/takeDue(from:now:lease:)``.
public struct RedisCaptionRetrySchedule: CaptionRetrySchedule {
    let redis: RedisClient

    /// The schedule on `redis`.
    public init(redis: RedisClient) {
        self.redis = redis
    }

    public func schedule(_ videoId: VideoID, attempt: Int, after delay: Duration) async throws {
        let due = Date().addingTimeInterval(delay.seconds)
        _ = try await redis.execute(["ZADD", RedisNames.captionRetries, String(due.timeIntervalSince1970), "\(videoId)|\(attempt)"])
    }

    public func takeDue(now: Date = Date(), lease: Duration = .seconds(1800)) async throws -> CaptionAttemptLease? {
        guard let taken = try await redis.takeDue(from: RedisNames.captionRetries, now: now, lease: lease) else { return nil }
        guard let (videoId, attempt) = Self.parse(taken.member) else {
            _ = try await redis.execute(["ZREM", RedisNames.captionRetries, taken.member])  // not ours to understand: drop it
            return nil
        }
        return CaptionAttemptLease(videoId: videoId, attempt: attempt, lease: taken)
    }

    public func finish(_ lease: CaptionAttemptLease) async throws {
        try await redis.finish(lease.lease, in: RedisNames.captionRetries)
    }

    /// How many attempts are scheduled (tests, stats).
    public func count() async throws -> Int {
        Int(try await redis.execute(["ZCARD", RedisNames.captionRetries]).integer ?? 0)
    }

    static func parse(_ member: String) -> (VideoID, Int)? {
        let parts = member.split(separator: "|")
        guard parts.count == 2, let id = VideoID(String(parts[0])), let attempt = Int(parts[1]) else { return nil }
        return (id, attempt)
    }
}

/// The in-memory twin of ``RedisCaptionRetrySchedule``.
public final class MemoryCaptionRetrySchedule: CaptionRetrySchedule {
    private let entries = Mutex<[String: Date]>([:])

    /// An empty schedule.
    public init() {}

    /// The attempts scheduled, by video.
    public var scheduled: [(videoId: VideoID, attempt: Int, due: Date)] {
        entries.withLock { entries in
            entries.compactMap { member, due in RedisCaptionRetrySchedule.parse(member).map { ($0.0, $0.1, due) } }
        }
    }

    public func schedule(_ videoId: VideoID, attempt: Int, after delay: Duration) async throws {
        let due = Date().addingTimeInterval(delay.seconds)
        entries.withLock { $0["\(videoId)|\(attempt)"] = due }
    }

    public func takeDue(now: Date = Date(), lease: Duration = .seconds(1800)) async throws -> CaptionAttemptLease? {
        let leaseEnd = now.addingTimeInterval(lease.seconds)
        return entries.withLock { entries in
            guard let (member, _) = entries.filter({ $0.value <= now }).min(by: { $0.value < $1.value }),
                let (videoId, attempt) = RedisCaptionRetrySchedule.parse(member)
            else { return nil }
            entries[member] = leaseEnd
            return CaptionAttemptLease(
                videoId: videoId, attempt: attempt, lease: RedisLease(member: member, leaseEnd: String(leaseEnd.timeIntervalSince1970)))
        }
    }

    public func finish(_ lease: CaptionAttemptLease) async throws {
        entries.withLock { entries in
            if let due = entries[lease.lease.member], String(due.timeIntervalSince1970) == lease.lease.leaseEnd {
                entries[lease.lease.member] = nil
            }
        }
    }
}
