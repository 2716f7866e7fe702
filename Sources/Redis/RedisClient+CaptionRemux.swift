import ClipCutCore
import Foundation

/// A re-mux of a video's MP4 downloads with its current caption tracks, taken by one worker.
public struct CaptionRemuxLease: Sendable, Equatable {
    public var videoId: VideoID
    /// The score the request got when taken: finishing removes it only if nobody asked again.
    public var leaseEnd: String
}

extension RedisClient {
    /// Asks processing-service to re-mux the MP4 downloads of `videoId` with its caption tracks
    /// (``RedisNames/captionRemuxRequests``). Asking twice before it ran is one request.
    public func requestCaptionRemux(_ videoId: VideoID, now: Date = Date()) async throws {
        _ = try await execute(["ZADD", RedisNames.captionRemuxRequests, String(now.timeIntervalSince1970), videoId.description])
    }

    /// Takes one due request, atomically (one worker gets it), leased for `lease`: a worker that
    /// dies during it leaves it due again.
    public func takeCaptionRemux(now: Date = Date(), lease: Duration = .seconds(1800)) async throws -> CaptionRemuxLease? {
        let script = """
            local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
            if #due == 0 then return false end
            redis.call('ZADD', KEYS[1], ARGV[2], due[1])
            return due[1]
            """
        let leaseEnd = String(now.addingTimeInterval(Double(lease.components.seconds)).timeIntervalSince1970)
        let reply = try await execute(["EVAL", script, "1", RedisNames.captionRemuxRequests, String(now.timeIntervalSince1970), leaseEnd])
        guard let member = reply.string else { return nil }
        guard let videoId = VideoID(member) else {
            _ = try await execute(["ZREM", RedisNames.captionRemuxRequests, member])  // not a video id: drop it
            return nil
        }
        return CaptionRemuxLease(videoId: videoId, leaseEnd: leaseEnd)
    }

    /// Removes a request once it ran, unless it was asked for again meanwhile (then its score is
    /// no longer the lease's and it runs once more).
    public func finishCaptionRemux(_ lease: CaptionRemuxLease) async throws {
        _ = try await execute([
            "EVAL", "if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1') == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end return 0",
            "1", RedisNames.captionRemuxRequests, lease.videoId.description, lease.leaseEnd,
        ])
    }
}
