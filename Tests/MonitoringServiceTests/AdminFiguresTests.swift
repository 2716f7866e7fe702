import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MonitoringService

@Suite("The admin page's figures per day, and a retried video back in the history", .serialized)
struct AdminFiguresTests {
    static func uploaded(_ id: VideoID, owner: UserID, at: Date) -> ClipCutEvent {
        .videoUploaded(VideoUploadedEvent(
            videoId: id, owner: owner, title: "t", filename: "a.mp4", size: 1000, contentType: "video/mp4", sha256: "x", at: at))
    }

    @Test("per day: ready and failed, success rate, processing per minute, queue wait, transcription real-time factor")
    func perDay() async throws {
        try await MonitoringFixture.run(redisDatabase: 10, postgresSchema: "monitoring_admin_figures_test") { fixture in
            let owner = UserID.random(), ready = VideoID.random(), failed = VideoID.random(), retried = VideoID.random()
            let start = Date().addingTimeInterval(-120)
            // Ready: taken 2 s after the upload, ready after 12 s for 10 s of video (72 s per minute),
            // whisper.cpp at 0.4 s per second of audio.
            for message in MonitoringFixture.lifecycle(ready, owner: owner, title: "done", start: start) {
                try await fixture.store.apply(try #require(ClipCutEvent(message)))
            }
            try await fixture.store.apply(.videoCaptions(VideoCaptionsEvent(
                videoId: ready, state: .ready, language: "en", realTimeFactor: 0.4, at: start.addingTimeInterval(12))))
            try await fixture.store.apply(Self.uploaded(failed, owner: owner, at: start))
            try await fixture.store.apply(.videoFailed(VideoFailedEvent(videoId: failed, reason: "no video stream", at: start.addingTimeInterval(4))))
            // Failed, then retried by an administrator: back to `uploaded`, not counted as failed.
            try await fixture.store.apply(Self.uploaded(retried, owner: owner, at: start))
            try await fixture.store.apply(.videoFailed(VideoFailedEvent(videoId: retried, reason: "ffmpeg failed.", at: start.addingTimeInterval(5))))
            try await fixture.store.apply(.videoRetried(VideoRetriedEvent(videoId: retried, previousReason: "ffmpeg failed.", at: start.addingTimeInterval(6))))

            let back = try #require(try await fixture.store.upload(retried))
            #expect(back.status == "uploaded" && back.failureReason == nil && back.failedAt == nil)
            let day = try #require(try await fixture.store.stats(days: 7).perDay.last)
            #expect(day.uploads == 3 && day.ready == 1 && day.failed == 1)
            #expect(day.successRate == 0.5)
            #expect(day.medianSecondsPerMinute == 72)
            #expect(day.medianQueueWaitSeconds.map { abs($0 - 2) < 0.01 } == true)
            #expect(day.medianTranscriptionRealTimeFactor == 0.4)

            // The retried video's next run is timed from the retry: taken 3 s after it.
            try await fixture.store.apply(.videoTranscribing(VideoTranscribingEvent(videoId: retried, language: "en", at: start.addingTimeInterval(9))))
            #expect(try await fixture.store.upload(retried)?.status == "transcribing")
            let after = try #require(try await fixture.store.stats(days: 7).perDay.last)
            #expect(after.medianQueueWaitSeconds.map { abs($0 - 2.5) < 0.01 } == true)  // median of 2 and 3

            try await fixture.application().test(.router) { client in
                let admin = try await fixture.token(for: .random(), role: .admin)
                let response = try await client.execute(uri: "/api/stats?days=7", method: .get, headers: bearer(admin))
                let perDay = try #require((json(response)["uploads"] as? [String: Any])?["perDay"] as? [[String: Any]])
                #expect(perDay.last?["ready"] as? Int == 1 && perDay.last?["successRate"] as? Double == 0.5)
                #expect(perDay.last?["medianTranscriptionRealTimeFactor"] as? Double == 0.4)
            }
        }
    }

    @Test("a retry older than the failure it would undo changes nothing; a repeated one is applied once")
    func lateRetry() async throws {
        try await MonitoringFixture.run(redisDatabase: 10, postgresSchema: "monitoring_admin_retry_test") { fixture in
            let owner = UserID.random(), video = VideoID.random()
            let start = Date().addingTimeInterval(-60)
            try await fixture.store.apply(Self.uploaded(video, owner: owner, at: start))
            try await fixture.store.apply(.videoFailed(VideoFailedEvent(videoId: video, reason: "second failure", at: start.addingTimeInterval(20))))
            let stale = VideoRetriedEvent(videoId: video, previousReason: "first failure", at: start.addingTimeInterval(10))
            try await fixture.store.apply(.videoRetried(stale))
            #expect(try await fixture.store.upload(video)?.status == "failed")
            #expect(try await fixture.store.upload(video)?.failureReason == "second failure")
            let fresh = VideoRetriedEvent(videoId: video, previousReason: "second failure", at: start.addingTimeInterval(30))
            #expect(try await fixture.store.apply(.videoRetried(fresh)))
            #expect(try await fixture.store.apply(.videoRetried(fresh)) == false)
            #expect(try await fixture.store.upload(video)?.status == "uploaded")
            // The timeline is in the events' own order of time: the stale retry before the failure.
            #expect(try await fixture.store.timeline(video).map(\.type) == ["video.uploaded", "video.retried", "video.failed", "video.retried"])
        }
    }
}
