import AsyncHTTPClient
import ClipCutCore
import Foundation
import Testing
import Transcoder

@testable import ProcessingService

@Suite("Watch while it transcodes: playable from the first segments, read live by an independent HLS client", .serialized)
struct LivePlaybackTests {
    /// The published media of `id` as upload-service serves it to processing (no token in tests).
    static func internalURL(_ fixture: ProcessingFixture, _ id: VideoID, _ path: String) -> String {
        "\(fixture.uploadURL)\(InternalMediaContract.allMediaPath(id))/\(path)"
    }

    /// ffmpeg as a live HLS client from the first segment: it reloads the playlist until
    /// `#EXT-X-ENDLIST`, then exits; what it read is copied into `output`.
    static func readLive(_ url: String, to output: String) async throws {
        try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-live_start_index", "0", "-i", url, "-map", "0", "-c", "copy", "-y", output])
    }

    static func text(_ fixture: ProcessingFixture, _ url: String) async throws -> String {
        let response = try await fixture.http.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    /// Frames ffprobe counts in the file's video, and its duration.
    static func frames(_ path: String) async throws -> (count: Int, duration: Double) {
        let text = try await run("/usr/bin/ffprobe", [
            "-v", "error", "-count_packets", "-select_streams", "v:0", "-show_entries", "stream=nb_read_packets:format=duration", "-of", "json", path,
        ])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let stream = (json["streams"] as? [[String: Any]])?.first ?? [:]
        let format = json["format"] as? [String: Any] ?? [:]
        return (Int(stream["nb_read_packets"] as? String ?? "") ?? 0, Double(format["duration"] as? String ?? "") ?? 0)
    }

    @Test("a 60 s 1080p source is playable from its first segments, long before ready; ffmpeg reads the growing playlist to its end")
    func playableLongBeforeReady() async throws {
        let fixture = try await ProcessingFixture()
        let reporter = RecordingReporter()
        // 1080p at a phone's bit rate: above the 1080p cap, so every rung is encoded.
        let source = try await makeSource(
            "phone.mp4", video: "testsrc2=size=1920x1080:rate=30", seconds: 60, tone: true,
            codec: ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "8M", "-g", "60"])
        let video = try await fixture.addVideo(source)
        let pipeline = try fixture.pipeline(reporter, settings: try fixture.settings([ConfigKey.encoderPreset.name: "ultrafast"]))
        let processing = Task { try await pipeline.run(video) }

        let playable = try await WorkerTests.eventually(180) { reporter.types.contains(.videoPlayable) }
        try #require(playable, "never playable")
        #expect(!reporter.types.contains(.videoReady))
        let announced = try #require(reporter.progressEvents.withLock { $0.first { $0.payload.playableSeconds != nil } })
        let playableSeconds = try #require(announced.payload.playableSeconds)
        #expect(playableSeconds > 0 && playableSeconds < 30, "playable at \(playableSeconds) s of 60: not from the first segments")
        let master = try await Self.text(fixture, Self.internalURL(fixture, video.id, "hls/master.m3u8"))
        #expect(master.contains("1080p/index.m3u8") && master.contains("360p/index.m3u8"))
        let growing = try await Self.text(fixture, Self.internalURL(fixture, video.id, "hls/360p/index.m3u8"))
        #expect(growing.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && !growing.contains("#EXT-X-ENDLIST"), "not growing: \(growing)")

        // An independent client starts on the growing playlist and follows it to its end.
        let live = scratchFile("live.mp4")
        try await Self.readLive(Self.internalURL(fixture, video.id, "hls/360p/index.m3u8"), to: live)
        let outcome = try await processing.value
        #expect(outcome.renditions.map { $0.quality } == ["1080p", "720p", "480p", "360p"])
        let read = try await Self.frames(live)
        #expect(read.count == 1800, "the live client read \(read.count) frames of 1800")
        #expect(abs(read.duration - 60) < 0.2)

        let root = try await PipelineTests.checkOutputs(
            fixture, video.id, sizes: ["1080p 1920x1080", "720p 1280x720", "480p 854x480", "360p 640x360"], audio: true)
        for quality in ["1080p", "360p"] {
            let final = HLSMediaPlaylist.parse(try String(contentsOfFile: "\(root)/hls/\(quality)/index.m3u8", encoding: .utf8))
            #expect(final.ended && abs(final.duration - 60) < 0.2)
            #expect(try await Self.frames("\(root)/\(quality)/video.mp4").count == 1800)
        }
        #expect(try await keyframes("\(root)/360p/video.mp4").prefix(4) == [0, 1000, 2000, 4000], "a 1 s first segment, then every 2 s")
        let types = reporter.types
        #expect(types.firstIndex(of: .videoPlayable).map { $0 < (types.firstIndex(of: .renditionReady) ?? 0) } == true)
        await fixture.shutdown()
    }

    @Test("a video deleted while it plays and transcodes: the job fails for good as deleted and takes back every segment it stored")
    func deletedWhilePlayable() async throws {
        let fixture = try await ProcessingFixture()
        let reporter = RecordingReporter()
        let source = try await makeSource(
            "phone.mp4", video: "testsrc2=size=1280x720:rate=30", seconds: 20, tone: true,
            codec: ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "6M", "-g", "60"])
        let video = try await fixture.addVideo(source)
        let pipeline = try fixture.pipeline(reporter, settings: try fixture.settings([ConfigKey.encoderPreset.name: "ultrafast"]))
        let processing = Task { try await pipeline.run(video) }
        try #require(try await WorkerTests.eventually(120) { reporter.types.contains(.videoPlayable) }, "never playable")
        #expect(try await !fixture.mediaNames(video.id).isEmpty)
        _ = try await fixture.store.collection("videos").delete(["_id": .string(video.id.description)])
        await #expect(throws: JobFailure.self) { _ = try await processing.value }
        do {
            _ = try await processing.value
        } catch let failure as JobFailure {
            #expect(failure.description == "The video was deleted.")
            if case .transient = failure { Issue.record("a deleted video is not worth a retry") }
        }
        #expect(try await fixture.mediaNames(video.id).isEmpty, "segments left behind")
        #expect(!reporter.types.contains(.videoReady))
        await fixture.shutdown()
    }
}
