import ClipCutCore
import Foundation
import Testing

@testable import ProcessingService

/// Captions in the speaker's language with an English translation track, through the real
/// audio-service that `scripts/test` starts (tiny.en and base loaded).
@Suite("Captions in the speaker's language, with a translation")
struct MultilingualCaptionTests {
    @Test("Spanish speech: a Spanish track and an English translation, both in the HLS master and the MP4, the detection recorded")
    func spanishWithTranslation() async throws {
        let fixture = try await ProcessingFixture()
        let reporter = RecordingReporter()
        let source = try await makeSource(
            "spanish.mp4", video: "testsrc2=size=320x240:rate=25", seconds: 7,
            speech: "Hoy hace muy buen tiempo. Vamos a la playa con nuestros amigos.", voice: "es")
        let video = try await fixture.addVideo(source)
        do {
            try await check(fixture, reporter, video)
        } catch {
            await fixture.shutdown()
            throw error
        }
        await fixture.shutdown()
    }

    private func check(_ fixture: ProcessingFixture, _ reporter: RecordingReporter, _ video: VideoSnapshot) async throws {
        let outcome = try await fixture.pipeline(reporter).run(video)
        #expect(!outcome.captionsPending)
        guard case .videoCaptions(let event)? = reporter.events.withLock({ $0.first { $0.type == .videoCaptions } }) else {
            Issue.record("no captions event")
            return
        }
        #expect(event.payload.state == .ready && event.payload.language == "es" && event.payload.model == "base")
        #expect((event.payload.languageProbability ?? 0) > 0.5)
        let spanish = event.payload.cues.map(\.text).joined(separator: " ").lowercased()
        let english = event.payload.translation.map(\.text).joined(separator: " ").lowercased()
        #expect(spanish.contains("playa"), "\(spanish)")
        // base's translation of espeak-ng Spanish is loose ("today we make a good time, let's play with these friends").
        #expect(["today", "beach", "weather", "good", "friends"].filter { english.contains($0) }.count >= 2, "\(english)")

        let root = try await fixture.download(video.id, to: scratchFile("out"))
        #expect(FileManager.default.fileExists(atPath: "\(root)/captions/es.vtt"))
        #expect(FileManager.default.fileExists(atPath: "\(root)/captions/en.vtt"))
        let master = try String(contentsOfFile: "\(root)/hls/master.m3u8", encoding: .utf8)
        #expect(master.contains(#"NAME="Spanish",LANGUAGE="es",DEFAULT=YES"#), "\(master)")
        #expect(master.contains(#"NAME="English (translation)",LANGUAGE="en",DEFAULT=NO"#), "\(master)")
        let subtitles = try await streams("\(root)/240p/video.mp4").filter { $0["codec_name"] as? String == "mov_text" }
        let languages = subtitles.compactMap { ($0["tags"] as? [String: Any])?["language"] as? String }
        #expect(languages == ["spa", "eng"])
        // ffmpeg reads the subtitle playlist of each track.
        for language in ["es", "en"] {
            let text = try await run("/usr/bin/ffmpeg", [
                "-nostdin", "-v", "error", "-i", "\(root)/hls/subs/\(language).m3u8", "-f", "webvtt", "-",
            ])
            #expect(text.contains("-->"), "\(language)")
        }
    }

    @Test("a tone with no speech: no captions, state none with \"no speech found\"")
    func toneHasNoSpeech() async throws {
        let fixture = try await ProcessingFixture()
        let reporter = RecordingReporter()
        let video = try await fixture.addVideo(try await makeSource("tone.mp4", video: "testsrc2=size=320x240:rate=25", seconds: 8, tone: true))
        _ = try await fixture.pipeline(reporter).run(video)
        guard case .videoCaptions(let event)? = reporter.events.withLock({ $0.first { $0.type == .videoCaptions } }) else {
            Issue.record("no captions event")
            return
        }
        #expect(event.payload.state == .noAudioTrack && event.payload.reason == "no speech found")
        #expect(event.payload.cues.isEmpty)
        #expect(reporter.types.last == .videoReady)
        await fixture.shutdown()
    }
}
