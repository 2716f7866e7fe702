import ClipCutCore
import Foundation
import Testing

@testable import ProcessingService

@Suite("A source copied into a rung plays before the encode of the other rungs takes the cores", .serialized)
struct EncodeAfterPlayableTests {
    @Test("with a copied rung the encode and the transcription start once the video is playable, even when storing is slow")
    func encodeWaitsForPlayable() async throws {
        let fixture = try await ProcessingFixture()
        let source = try await makeSource(
            "standard.mp4", video: "testsrc2=size=1280x720:rate=30", seconds: 8, tone: true,
            codec: ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "3000k",
                    "-g", "60", "-sc_threshold", "0", "-pix_fmt", "yuv420p"])
        let video = try await fixture.addVideo(source)
        // Each stored segment takes 1.5 s more: the copied rung's first one makes the video
        // playable only then, long after an encode started at once would have reported progress.
        let media = RecordingMedia(fixture.media, storeDelay: .milliseconds(1500)), reporter = RecordingReporter()
        let outcome = try await StreamedSourceTests.pipeline(fixture, media, reporter).run(video)
        #expect(outcome.renditions.map(\.quality) == ["720p", "480p", "360p"])
        let progress = reporter.progressEvents.withLock { $0 }
        #expect(progress.contains { $0.payload.logLine?.contains("720p (remux)") == true }, "not copied")
        let playable = try #require(progress.firstIndex { $0.payload.playableSeconds != nil }, "never playable")
        let encoding = try #require(progress.firstIndex { $0.payload.rungs?.contains("480p") == true }, "no encode progress")
        #expect(playable < encoding, "the encode reported progress (event \(encoding)) before the video was playable (event \(playable)): \(progress.map { "\($0.payload.rungs ?? []) \($0.payload.percent) \($0.payload.logLine ?? "")" })")
        // Transcription waits for it too (it would take a core from the first segments).
        let transcribing = try #require(progress.firstIndex { $0.payload.logLine?.contains("extracting the audio") == true }, "never transcribed")
        #expect(playable < transcribing, "transcription began (event \(transcribing)) before the video was playable (event \(playable))")
        await fixture.shutdown()
    }
}
