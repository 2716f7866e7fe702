import Jobs
import ClipCutCore
import Redis

/// Asks processing-service to re-mux a video's MP4 downloads with its current caption tracks
/// (upload-service runs no ffmpeg).
protocol CaptionRemuxRequester: Sendable {
    func requestRemux(_ videoId: VideoID) async throws
}

/// ``CaptionRemuxRequester`` over ``RedisNames/captionRemuxRequests``.
struct RedisCaptionRemuxRequester: CaptionRemuxRequester {
    let redis: RedisClient

    func requestRemux(_ videoId: VideoID) async throws {
        try await redis.requestCaptionRemux(videoId)
    }
}

