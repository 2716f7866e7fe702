import ClipCutCore
import Foundation
import Jobs
import Logging
import Redis
import ServiceLifecycle

/// Due caption retries and re-muxes of edited captions, one at a time, apart from the transcode
/// jobs (a transcription can take long). Both are leased: a worker that dies during one leaves it
/// due again when the lease ends. Stops taking work at graceful shutdown.
struct CaptionWorker: Service {
    let schedule: any CaptionRetrySchedule
    let redis: RedisClient
    let captionRetry: CaptionRetry
    /// Re-muxes the MP4 downloads after the owner changed a caption track.
    let captionRemux: CaptionRemux
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await (try? runOne()) != true {
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// Runs one due re-mux or captioning attempt; `true` if there was one.
    private func runOne() async throws -> Bool {
        if let remux = try await redis.takeCaptionRemux() {
            do {
                try await captionRemux.run(videoId: remux.videoId)
                try await redis.finishCaptionRemux(remux)
            } catch {
                // Left leased: due again when the lease ends.
                logger.warning("caption re-mux failed; it will be tried again", metadata: ["videoId": "\(remux.videoId)", "error": "\(error)"])
            }
            return true
        }
        if let due = try await schedule.takeDue(now: Date(), lease: .seconds(1800)) {
            await captionRetry.run(videoId: due.videoId, attempt: due.attempt)
            try await schedule.finish(due)  // only now: a worker that dies mid-run leaves it due again
            return true
        }
        return false
    }
}
