import AsyncHTTPClient
import ClipCutCore
import Foundation
import Jobs
import Logging
import Redis
import Testing

@testable import ProcessingService

@Suite("Captions when audio-service was down", .serialized)
struct CaptionRetryTests {
    @Test("audio-service unreachable: ready without captions, pending; the retry adds the track to HLS and the MP4s")
    func pendingThenReady() async throws {
        let fixture = try await ProcessingFixture()
        let reporter = RecordingReporter()
        let settings = try fixture.settings([ConfigKey.audioServiceURL.name: "http://127.0.0.1:9"])
        let video = try await fixture.addVideo(try await makeSource(
            "speech.mp4", video: "testsrc2=size=640x360:rate=25", seconds: 5, speech: "Please remember to save your work before the meeting."))
        let outcome = try await fixture.pipeline(reporter, settings: settings).run(video)
        #expect(outcome.captionsPending)
        #expect(reporter.types.last == .videoReady)
        guard case .videoCaptions(let pending)? = reporter.events.withLock({ $0.first { $0.type == .videoCaptions } }) else {
            Issue.record("no captions event")
            return
        }
        #expect(pending.payload.state == .pending)
        let before = try await fixture.download(video.id, to: scratchFile("before"))
        #expect(!(try String(contentsOfFile: "\(before)/hls/master.m3u8", encoding: .utf8)).contains("SUBTITLES"))
        #expect(!(try await streams("\(before)/360p/video.mp4")).contains { $0["codec_name"] as? String == "mov_text" })

        // upload-service applied video.ready meanwhile; audio-service is back.
        try await fixture.store.collection("videos").updateOne(["_id": .string(video.id.description)], set: ["status": "ready"])
        let redis = RedisClient(configuration: try RedisConfiguration(url: fixture.redisURL))
        let retryReporter = RecordingReporter()
        let working = try fixture.settings()
        let retry = CaptionRetry(
            schedule: RedisCaptionRetrySchedule(redis: redis),
            pipeline: try fixture.pipeline(retryReporter, settings: working), media: fixture.media,
            events: retryReporter, retryDelay: .seconds(1), logger: Logger(label: "test"))
        // The owner wrote captions meanwhile: the retry leaves them alone.
        try await fixture.store.collection("videos").updateOne(["_id": .string(video.id.description)], set: ["captionEdited": true])
        await retry.run(videoId: video.id, attempt: 1)
        #expect(retryReporter.events.withLock { $0.isEmpty })
        #expect(try await fixture.mediaNames(video.id).allSatisfy { !$0.contains("/captions/") })
        try await fixture.store.collection("videos").updateOne(["_id": .string(video.id.description)], set: ["captionEdited": false])

        // The shared audio-service may answer 503 busy while other suites transcribe: then the
        // retry reschedules itself, as it would in production; run it again, as the schedule would.
        for attempt in 1...10 where retryReporter.events.withLock({ $0.isEmpty }) {
            if attempt > 1 { try await Task.sleep(for: .seconds(3)) }
            await retry.run(videoId: video.id, attempt: 1)
        }
        guard case .videoCaptions(let ready)? = retryReporter.events.withLock({ $0.first { $0.type == .videoCaptions } }) else {
            Issue.record("no captions event after the retry")
            return
        }
        #expect(ready.payload.state == .ready)
        #expect(ready.payload.cues.map(\.text).joined(separator: " ").lowercased().contains("meeting"))
        // The operators' figure: how long whisper.cpp took per second of this audio, measured.
        #expect(ready.payload.realTimeFactor.map { $0 > 0 && $0.isFinite } == true)
        let after = try await fixture.download(video.id, to: scratchFile("after"))
        let master = try String(contentsOfFile: "\(after)/hls/master.m3u8", encoding: .utf8)
        #expect(master.contains(#"TYPE=SUBTITLES,GROUP-ID="subs""#) && master.contains(#"SUBTITLES="subs""#))
        #expect(try await streams("\(after)/360p/video.mp4").contains { $0["codec_name"] as? String == "mov_text" })
        #expect((try String(contentsOfFile: "\(after)/captions/en.vtt", encoding: .utf8)).lowercased().contains("meeting"))
        let names = try await fixture.mediaNames(video.id)
        #expect(names.count == Set(names).count)
        // The master playlist still plays.
        try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", "\(after)/hls/master.m3u8", "-map", "0:v", "-f", "null", "-"])
        await redis.shutdown()
        await fixture.shutdown()
    }
}
