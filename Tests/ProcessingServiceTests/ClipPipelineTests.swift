import ClipCutCore
import Foundation
import MediaStore
import Testing
import Transcoder

@testable import ProcessingService

/// A clip made from a processed video's renditions, through the fixture's real upload-service
/// and real ffmpeg: every rung cut smartly, HLS and MP4 that decode, keyframes together, the
/// captions cut and moved to the clip's timeline.
@Suite("Clips from a video's renditions")
struct ClipPipelineTests {
    @Test("a range inside GOPs of a two-rung video: renditions, HLS, poster and cut captions; the clip plays without an error")
    func clipFromRenditions() async throws {
        try await ProcessingFixture.with(check)
    }

    private func check(_ fixture: ProcessingFixture) async throws {
        let sourcePath = try await makeSource("clip-source.mp4", video: "testsrc2=size=854x480:rate=30", seconds: 12, tone: true)
        let source = try await fixture.addVideo(sourcePath)
        _ = try await fixture.pipeline(RecordingReporter()).run(source)
        // Each rendition's moov read through upload-service's byte ranges, as the cut reads it: the file's own.
        for quality in ["480p", "360p"] {
            let name = MediaLayout.renditionMP4(source.id, quality: quality), copy = sourcePath + ".\(quality).mp4"
            #expect(try await fixture.media.downloadMedia(named: name, to: copy))
            defer { try? FileManager.default.removeItem(atPath: copy) }
            let ranged = try #require(try await RenditionInfo.movieIndex(named: name, media: fixture.media))
            #expect(ranged == MovieIndex.read(file: copy))
            try await MovieIndexTests.expectMatchesFFprobe(copy)
        }
        // What upload-service's consumer records once the video is ready, and a caption track.
        try await fixture.store.collection("videos").update(["_id": .string(source.id.description)], ["$set": [
            "status": "ready", "durationSeconds": .double(12), "captionLanguage": "en", "captionState": "ready",
            "renditions": .array([
                .document(["quality": "480p", "width": .int64(854), "height": .int64(480)]),
                .document(["quality": "360p", "width": .int64(640), "height": .int64(360)]),
            ]),
        ]])
        let vtt = """
            WEBVTT

            1
            00:00:01.000 --> 00:00:03.000
            The penguins are diving.

            2
            00:00:05.000 --> 00:00:07.000
            Seals sleep on the ice.

            3
            00:00:08.000 --> 00:00:10.000
            Gulls fly away.

            4
            00:00:11.000 --> 00:00:12.400
            The end.

            """
        try await fixture.media.store(bytes: Array(vtt.utf8), as: MediaLayout.captions(source.id, language: "en"), videoId: source.id)

        // The clip's document, as upload-service writes it for POST /api/videos/:id/clips.
        let clipId = VideoID.random()
        try await fixture.store.collection("videos").insert([
            "_id": .string(clipId.description), "owner": .string(source.owner.description), "status": "uploaded",
            "sourceFileId": "", "createdAt": .date(Date()), "contentType": "video/mp4",
            "clipOf": ["videoId": .string(source.id.description), "from": .double(2.5), "to": .double(8.3)],
        ])
        let snapshot = try #require(try await fixture.media.video(clipId))
        #expect(snapshot.clipOf == ClipOrigin(videoId: source.id, from: 2.5, to: 8.3))
        let reporter = RecordingReporter()
        // A stream limit the source meets (picture and sound) but the clip's MP4, which also
        // carries the caption track, would not: the clip is ClipCut's own file, not an upload.
        var settings = try fixture.settings()
        settings.policy.maximumStreams = 2
        let outcome = try await fixture.pipeline(reporter, settings: settings).run(snapshot)
        #expect(outcome.renditions.map(\.quality) == ["480p", "360p"])
        #expect(reporter.types == [.videoTranscribing, .videoTranscoding, .renditionReady, .renditionReady, .videoCaptions, .videoReady])

        let events = reporter.events.withLock { $0 }
        guard case .videoReady(let ready)? = events.last else { throw TestFailure("no video.ready") }
        #expect(abs((ready.payload.durationSeconds ?? 0) - 5.8) <= 1.0 / 30 + 0.001, "duration \(String(describing: ready.payload.durationSeconds))")
        guard case .videoCaptions(let captions)? = events.first(where: { $0.type == .videoCaptions }) else { throw TestFailure("no captions") }
        let cues = captions.payload.cues ?? []
        #expect(cues.map(\.text) == ["The penguins are diving.", "Seals sleep on the ice.", "Gulls fly away."])
        #expect(cues.first.map { $0.start == 0 && abs($0.end - 0.5) < 0.001 } == true, "cut at the clip's start")
        #expect(cues.dropFirst().first.map { abs($0.start - 2.5) < 0.001 && abs($0.end - 4.5) < 0.001 } == true, "moved by 2.5 s")
        #expect(cues.allSatisfy { $0.start >= 0 && $0.end <= 5.8 + 0.001 })

        let names = try await fixture.mediaNames(clipId)
        for name in [
            MediaLayout.renditionMP4(clipId, quality: "480p"), MediaLayout.renditionMP4(clipId, quality: "360p"), MediaLayout.hlsMaster(clipId),
            MediaLayout.hlsFile(clipId, path: "480p/index.m3u8"), MediaLayout.poster(clipId), MediaLayout.captions(clipId, language: "en"),
        ] { #expect(names.contains(name), "\(name)") }

        // What a player gets decodes without one error, HLS and MP4, and the rungs' keyframes agree.
        let root = try await fixture.download(clipId, to: scratchFile("clip-media"))
        var keyframes: [[Double]] = []
        for quality in ["480p", "360p"] {
            _ = try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-xerror", "-i", "\(root)/\(quality)/video.mp4", "-f", "null", "-"])
            // The clip's MP4, its caption track included, read from its boxes as the pipeline reads it: what ffprobe says.
            try await MovieIndexTests.expectMatchesFFprobe("\(root)/\(quality)/video.mp4")
            _ = try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-xerror", "-i", "\(root)/hls/\(quality)/index.m3u8", "-f", "null", "-"])
            // Every rung has the cut's sound (encoded once, with the first rung, and copied into the others).
            for file in ["\(root)/\(quality)/video.mp4", "\(root)/hls/\(quality)/index.m3u8"] {
                let sound = try await run("/usr/bin/ffprobe", [
                    "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name:format=duration", "-of", "csv=p=0", file,
                ])
                let lines = sound.split(whereSeparator: \.isNewline).map(String.init)
                #expect(lines.first == "aac", "\(file): \(sound)")
                #expect(lines.last.flatMap(Double.init).map { abs($0 - 5.8) < 0.1 } == true, "\(file): \(sound)")
            }
            // The cut captions are the MP4's own English track, on the clip's timeline.
            let track = try await run("/usr/bin/ffprobe", [
                "-v", "error", "-select_streams", "s:0", "-show_entries", "stream=codec_name:stream_tags=language", "-of", "csv=p=0",
                "\(root)/\(quality)/video.mp4",
            ])
            #expect(track.trimmingCharacters(in: .whitespacesAndNewlines) == "mov_text,eng", "\(quality): \(track)")
            let subtitles = try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", "\(root)/\(quality)/video.mp4", "-map", "0:s:0", "-f", "webvtt", "-"])
            #expect(subtitles.contains("00:02.500 --> 00:04.500") && subtitles.contains("Seals sleep on the ice."), "\(quality): \(subtitles)")
            let listing = try await run("/usr/bin/ffprobe", RenditionPackets.probeArguments + ["\(root)/\(quality)/video.mp4"])
            keyframes.append(RenditionPackets(csv: listing).keyframes)
        }
        #expect(keyframes[0] == keyframes[1] && keyframes[0].first == 0, "\(keyframes)")

        // A range that ends past the renditions' last frame (the source's recorded length can be
        // a little longer): the clip and its captions end with the picture.
        let tailId = VideoID.random()
        try await fixture.store.collection("videos").insert([
            "_id": .string(tailId.description), "owner": .string(source.owner.description), "status": "uploaded",
            "sourceFileId": "", "createdAt": .date(Date()), "contentType": "video/mp4",
            "clipOf": ["videoId": .string(source.id.description), "from": .double(9), "to": .double(12.5)],
        ])
        let tailReporter = RecordingReporter()
        _ = try await fixture.pipeline(tailReporter, settings: settings).run(try #require(try await fixture.media.video(tailId)))
        let tailEvents = tailReporter.events.withLock { $0 }
        guard case .videoReady(let tailReady)? = tailEvents.last,
              case .videoCaptions(let tailCaptions)? = tailEvents.first(where: { $0.type == .videoCaptions })
        else { throw TestFailure("no video.ready or captions for the clip to the end") }
        let length = tailReady.payload.durationSeconds ?? 0
        #expect(abs(length - 3) <= 0.05, "duration \(length)")
        let tailCues = tailCaptions.payload.cues ?? []
        #expect(tailCues.map(\.text) == ["Gulls fly away.", "The end."])
        #expect(tailCues.allSatisfy { $0.end <= length + 0.001 }, "\(tailCues.map { ($0.start, $0.end) }) past \(length)")
    }
}

private struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
