import ClipCutCore
import Foundation
import Testing

@testable import ProcessingService

@Suite("The pipeline on real sources: ffmpeg, SecantusDB, audio-service", .serialized)
struct PipelineTests {
    /// Checks every rung of a finished video: sizes, audio, aligned keyframes; returns the tree.
    static func checkOutputs(_ fixture: ProcessingFixture, _ id: VideoID, sizes: [String], audio: Bool) async throws -> String {
        let root = try await fixture.download(id, to: scratchFile("out"))
        var keyframeSets: [[Int]] = []
        for size in sizes {
            let quality = String(size.split(separator: " ")[0])
            let mp4 = "\(root)/\(quality)/video.mp4"
            let all = try await streams(mp4)
            let video = try #require(all.first { $0["codec_type"] as? String == "video" })
            #expect("\(quality) \(video["width"] as? Int ?? 0)x\(video["height"] as? Int ?? 0)" == size)
            #expect(video["codec_name"] as? String == "h264")
            #expect(all.contains { $0["codec_type"] as? String == "audio" } == audio, "\(quality) audio")
            keyframeSets.append(try await keyframes(mp4))
            #expect(FileManager.default.fileExists(atPath: "\(root)/hls/\(quality)/index.m3u8"))
            #expect(FileManager.default.fileExists(atPath: "\(root)/hls/\(quality)/init.mp4"))
        }
        #expect(Set(keyframeSets.map { $0 }).count == 1, "keyframes differ across rungs: \(keyframeSets)")
        // An independent HLS client: ffmpeg reads the master and every variant to the end.
        try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", "\(root)/hls/master.m3u8", "-map", "0:v", "-f", "null", "-"])
        for size in sizes {
            try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", "\(root)/hls/\(size.split(separator: " ")[0])/index.m3u8", "-f", "null", "-"])
        }
        #expect(FileManager.default.fileExists(atPath: "\(root)/poster.jpg"))
        let storyboard = try String(contentsOfFile: "\(root)/storyboard.vtt", encoding: .utf8)
        #expect(storyboard.hasPrefix("WEBVTT") && storyboard.contains("storyboard.jpg#xywh=0,0,"))
        return root
    }

    @Test("1080p landscape with speech: four rungs, aligned keyframes, HLS with subtitles, captions with the spoken words")
    func landscapeWithSpeech() async throws {
        let fixture = try await ProcessingFixture()
        let reporter = RecordingReporter()
        let source = try await makeSource(
            "speech.mp4", video: "testsrc2=size=1920x1080:rate=30", seconds: 6,
            speech: "The quick brown fox jumps over the lazy dog. Every video gets subtitles automatically.")
        let video = try await fixture.addVideo(source)
        var pipeline = try fixture.pipeline(reporter)
        let speeds = MemoryEncodeSpeeds()
        pipeline.speeds = speeds
        let outcome = try await pipeline.run(video)
        #expect(outcome.renditions.map(\.quality) == ["1080p", "720p", "480p", "360p"])
        // The encode's speed is kept for the next one's first estimates of the time left.
        #expect(await speeds.speed(topRung: 1080).map { $0 > 0 && $0.isFinite } == true)
        #expect(!outcome.captionsPending)
        let root = try await Self.checkOutputs(
            fixture, video.id, sizes: ["1080p 1920x1080", "720p 1280x720", "480p 854x480", "360p 640x360"], audio: true)
        let master = try String(contentsOfFile: "\(root)/hls/master.m3u8", encoding: .utf8)
        #expect(master.contains(#"TYPE=SUBTITLES,GROUP-ID="subs""#) && master.contains(#"SUBTITLES="subs""#))
        #expect(master.contains("RESOLUTION=1920x1080") && master.contains("CODECS=\"avc1."))
        let captions = try String(contentsOfFile: "\(root)/captions/en.vtt", encoding: .utf8).lowercased()
        #expect(captions.hasPrefix("webvtt"))
        for word in ["lazy", "dog", "video", "automatically"] { #expect(captions.contains(word), "\(word) in \(captions)") }
        let downloadStreams = try await streams("\(root)/720p/video.mp4")
        #expect(downloadStreams.contains { $0["codec_name"] as? String == "mov_text" })
        let types = reporter.types
        #expect(types.first == .videoTranscribing && types.last == .videoReady)
        #expect(types.filter { $0 == .renditionReady }.count == 4)
        guard case .videoCaptions(let captionEvent)? = reporter.events.withLock({ $0.first { $0.type == .videoCaptions } }) else {
            Issue.record("no captions event")
            return
        }
        #expect(captionEvent.payload.state == .ready && !captionEvent.payload.cues.isEmpty)
        let progress = reporter.progressEvents.withLock { $0 }.filter { $0.payload.stage == .transcoding }
        #expect(progress.contains { $0.payload.percent == 100 })
        #expect(progress.map(\.payload.percent) == progress.map(\.payload.percent).sorted())
        await fixture.shutdown()
    }

    @Test("portrait 1080×1920 without audio: portrait rungs, no audio track out, captions `none` (nothing failed), ready")
    func portraitWithoutAudio() async throws {
        let fixture = try await ProcessingFixture()
        let reporter = RecordingReporter()
        let video = try await fixture.addVideo(try await makeSource("portrait.mp4", video: "testsrc2=size=1080x1920:rate=25", seconds: 3))
        _ = try await fixture.pipeline(reporter).run(video)
        _ = try await Self.checkOutputs(
            fixture, video.id, sizes: ["1080p 1080x1920", "720p 720x1280", "480p 480x854", "360p 360x640"], audio: false)
        guard case .videoCaptions(let captionEvent)? = reporter.events.withLock({ $0.first { $0.type == .videoCaptions } }) else {
            Issue.record("no captions event")
            return
        }
        #expect(captionEvent.payload.state == .noAudioTrack)
        #expect(reporter.types.last == .videoReady)
        await fixture.shutdown()
    }

    @Test("odd 1918×1078, a rotated phone file, variable frame rate at 240p: shapes kept, even sizes")
    func oddShapes() async throws {
        let fixture = try await ProcessingFixture()
        let odd = try await fixture.addVideo(try await makeSource("odd.mp4", video: "testsrc2=size=1918x1078:rate=30", seconds: 2, tone: true))
        _ = try await fixture.pipeline(RecordingReporter()).run(odd)
        _ = try await Self.checkOutputs(fixture, odd.id, sizes: ["720p 1282x720", "480p 854x480", "360p 640x360"], audio: true)

        // A phone stores the picture landscape and says "turn it" in the display matrix (set on remux).
        let landscape = try await makeSource("landscape.mp4", video: "testsrc2=size=1280x720:rate=30", seconds: 2)
        let phone = scratchFile("rotated.mp4")
        try await run("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error", "-i", landscape, "-c", "copy", "-metadata:s:v:0", "rotate=90", phone])
        #expect(try await run("/usr/bin/ffprobe", ["-v", "error", "-show_streams", phone]).contains("rotation="))
        let rotated = try await fixture.addVideo(phone)
        _ = try await fixture.pipeline(RecordingReporter()).run(rotated)
        _ = try await Self.checkOutputs(fixture, rotated.id, sizes: ["720p 720x1280", "480p 480x854", "360p 360x640"], audio: false)

        let vfr = try await fixture.addVideo(try await makeSource(
            "vfr.mkv", video: "testsrc2=size=426x240:rate=30,select='lt(mod(n\\,10)\\,7)'", seconds: 3, extra: ["-vsync", "vfr"]))
        _ = try await fixture.pipeline(RecordingReporter()).run(vfr)
        _ = try await Self.checkOutputs(fixture, vfr.id, sizes: ["240p 426x240"], audio: false)
        await fixture.shutdown()
    }

    @Test("a rung that matches the source is copied, and the encoded rungs put their keyframes where the source has its own")
    func remuxedRung() async throws {
        let fixture = try await ProcessingFixture()
        let reporter = RecordingReporter()
        let source = try await makeSource(
            "h264.mp4", video: "testsrc2=size=1280x720:rate=30", seconds: 8, tone: true,
            codec: ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "3000k",
                    "-g", "90", "-sc_threshold", "0", "-pix_fmt", "yuv420p"])
        let video = try await fixture.addVideo(source)
        _ = try await fixture.pipeline(reporter).run(video)
        let root = try await Self.checkOutputs(fixture, video.id, sizes: ["720p 1280x720", "480p 854x480", "360p 640x360"], audio: true)
        #expect(try await keyframes("\(root)/360p/video.mp4") == [0, 3000, 6000])
        // The copied rung's codec string is the one its stream declares (ffprobe knows no level for it).
        let master = try String(contentsOfFile: "\(root)/hls/master.m3u8", encoding: .utf8)
        let codecs = master.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-STREAM-INF") }.compactMap { $0.split(separator: "CODECS=\"").last?.prefix(11) }
        #expect(codecs.count == 3 && codecs.allSatisfy { $0.range(of: "^avc1\\.[0-9a-f]{6}$", options: .regularExpression) != nil }, "\(codecs)")
        #expect(reporter.progressEvents.withLock { $0 }.contains { $0.payload.logLine?.contains("720p (remux)") == true })
        await fixture.shutdown()
    }

    @Test("burnSubtitles: the captions are made first and rendered into the picture of every rung")
    func burnedSubtitles() async throws {
        let fixture = try await ProcessingFixture()
        let reporter = RecordingReporter()
        let source = try await makeSource(
            "burn.mp4", video: "color=c=gray:size=640x360:rate=25", seconds: 4, speech: "Subtitles are burned into every frame.")
        let plain = try await fixture.addVideo(source)
        let burned = try await fixture.addVideo(source, burnSubtitles: true)
        _ = try await fixture.pipeline(RecordingReporter()).run(plain)
        _ = try await fixture.pipeline(reporter).run(burned)
        let stages = reporter.progressEvents.withLock { $0 }.map { "\($0.payload.stage.rawValue) \(Int($0.payload.percent))" }
        let captionsDone = try #require(stages.firstIndex(of: "transcribing 100"))
        let encodingStarted = try #require(stages.firstIndex { $0.hasPrefix("transcoding") })
        #expect(captionsDone < encodingStarted, "\(stages)")
        // Text on a flat gray picture: the burned rung differs from the plain one in the middle of the speech.
        func frame(_ id: VideoID) async throws -> String {
            let root = try await fixture.download(id, to: scratchFile("burn"))
            let image = scratchFile("frame.png")
            try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-ss", "1.5", "-i", "\(root)/360p/video.mp4", "-frames:v", "1", image])
            return try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", image, "-f", "md5", "-"])
        }
        #expect(try await frame(plain.id) != (try await frame(burned.id)))
        await fixture.shutdown()
    }

    @Test("a truncated file and a text file fail for good as damaged; a subtitle file as not a video; nothing is stored")
    func notVideos() async throws {
        let fixture = try await ProcessingFixture()
        let whole = try await makeSource("whole.mp4", video: "testsrc2=size=320x240:rate=25", seconds: 2)
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        let truncated = scratchFile("truncated.mp4")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: truncated))
        let text = scratchFile("text.mp4")
        try Data(String(repeating: "not a video at all\n", count: 500).utf8).write(to: URL(fileURLWithPath: text))
        let subtitles = scratchFile("subtitles.srt"), subtitleFile = scratchFile("subtitles.mkv")
        try Data("1\n00:00:00,000 --> 00:00:01,000\nhello\n".utf8).write(to: URL(fileURLWithPath: subtitles))
        try await run("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error", "-i", subtitles, "-c:s", "srt", subtitleFile])
        for (path, expected) in [(truncated, "the file is damaged or incomplete"), (text, "the file is damaged or incomplete"),
                                 (subtitleFile, "not a video: the file has no video or audio stream")] {
            let video = try await fixture.addVideo(path)
            await #expect {
                try await fixture.pipeline(RecordingReporter()).run(video)
            } throws: { error in
                guard case JobFailure.permanent(let reason) = error else { return false }
                return reason == expected
            }
            #expect(try await fixture.mediaNames(video.id).isEmpty)
        }
        await fixture.shutdown()
    }

    @Test("a voice memo (.m4a, no video) becomes an audio video: one 360p rung of its waveform with the sound, HLS, captions")
    func audioOnly() async throws {
        let fixture = try await ProcessingFixture()
        let wav = scratchFile("memo.wav"), memo = scratchFile("memo.m4a")
        try await run("/usr/bin/espeak-ng", ["-v", "en-us", "-s", "150", "-w", wav, "Remember to buy milk and bread for the weekend."])
        try await run("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error", "-i", wav, "-c:a", "aac", memo])
        let reporter = RecordingReporter()
        let video = try await fixture.addVideo(memo)
        let outcome = try await fixture.pipeline(reporter).run(video)
        #expect(outcome.renditions.map(\.quality) == ["360p"])
        let root = try await Self.checkOutputs(fixture, video.id, sizes: ["360p 640x360"], audio: true)
        let captions = try String(contentsOfFile: "\(root)/captions/en.vtt", encoding: .utf8).lowercased()
        #expect(captions.contains("milk") || captions.contains("bread"), "\(captions)")
        #expect(reporter.types.last == .videoReady)
        await fixture.shutdown()
    }

    @Test("a Matroska file whose rotate tag says 1e300 is processed as unrotated: no trap, ready")
    func absurdRotation() async throws {
        let fixture = try await ProcessingFixture()
        let template = try await makeSource("rotq.mkv", video: "testsrc2=size=320x240:rate=25", seconds: 2,
                                            extra: ["-metadata:s:v:0", "rotatq=QQQQQ", "-fflags", "+bitexact", "-write_crc32", "0"])
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: template)))
        for (old, new) in [("ROTATQ", "rotate"), ("QQQQQ", "1e300")] {
            let needle = Array(old.utf8)
            let index = try #require((0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
            bytes.replaceSubrange(index..<(index + needle.count), with: Array(new.utf8))
        }
        let crafted = scratchFile("rotate-1e300.mkv")
        try Data(bytes).write(to: URL(fileURLWithPath: crafted))
        #expect(try await run("/usr/bin/ffprobe", ["-v", "error", "-show_streams", crafted]).contains("TAG:rotate=1e300"))
        let video = try await fixture.addVideo(crafted)
        let outcome = try await fixture.pipeline(RecordingReporter()).run(video)
        #expect(outcome.renditions.map { "\($0.quality) \($0.width)x\($0.height)" } == ["240p 320x240"])
        await fixture.shutdown()
    }
}
