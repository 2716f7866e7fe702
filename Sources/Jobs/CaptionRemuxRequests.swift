import ClipCutCore
import Redis
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
        guard let taken = try await takeDue(from: RedisNames.captionRemuxRequests, now: now, lease: lease) else { return nil }
        guard let videoId = VideoID(taken.member) else {
            _ = try await execute(["ZREM", RedisNames.captionRemuxRequests, taken.member])  // not a video id: drop it
            return nil
        }
        return CaptionRemuxLease(videoId: videoId, leaseEnd: taken.leaseEnd)
    }

    /// Removes a request once it ran, unless it was asked for again meanwhile (then it runs once more).
    public func finishCaptionRemux(_ lease: CaptionRemuxLease) async throws {
        try await finish(RedisLease(member: lease.videoId.description, leaseEnd: lease.leaseEnd), in: RedisNames.captionRemuxRequests)
    }
}
