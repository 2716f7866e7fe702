import ClipCutCore
import Foundation
import MediaStore
import Testing

@testable import ProcessingService

/// After the owner edits a caption track, the MP4 downloads are re-muxed with the new words (no
/// re-encode), through the fixture's real upload-service.
@Suite("Re-muxing the MP4 downloads after a caption edit")
struct CaptionRemuxTests {
    @Test("an edited track replaces the MP4's mov_text words; the picture is copied, not re-encoded; deleting every track leaves none")
    func editedWordsReachTheMP4() async throws {
        try await ProcessingFixture.with(check)
    }

    private func check(_ fixture: ProcessingFixture) async throws {
        let source = try await makeSource(
            "edit.mp4", video: "testsrc2=size=320x240:rate=25", seconds: 5, speech: "The penguins are diving for fish.")
        let video = try await fixture.addVideo(source)
        _ = try await fixture.pipeline(RecordingReporter()).run(video)
        // What upload-service's consumer records once the video is ready.
        try await fixture.store.collection("videos").update(["_id": .string(video.id.description)], ["$set": [
            "status": "ready", "captionState": "ready", "captionLanguage": "en",
            "renditions": .array([.document(["quality": "240p", "width": .int64(320), "height": .int64(240)])]),
        ]])
        let mp4 = MediaLayout.renditionMP4(video.id, quality: "240p")
        let before = scratchFile("before.mp4")
        #expect(try await fixture.media.downloadMedia(named: mp4, to: before))
        let beforeVideo = try #require(try await streams(before).first { $0["codec_type"] as? String == "video" })

        // The owner's edit, as upload-service stores it.
        let edited = "WEBVTT\n\n1\n00:00:00.500 --> 00:00:03.000\nThe seals are sleeping on the ice.\n\n"
        try await fixture.media.store(bytes: Array(edited.utf8), as: MediaLayout.captions(video.id, language: "en"), videoId: video.id)
        let remux = CaptionRemux(media: fixture.media, scratchDirectory: fixture.scratch, logger: .init(label: "test"))
        try await remux.run(videoId: video.id)

        let after = scratchFile("after.mp4")
        #expect(try await fixture.media.downloadMedia(named: mp4, to: after))
        let text = try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", after, "-map", "0:s:0", "-f", "webvtt", "-"])
        #expect(text.contains("The seals are sleeping on the ice."), "\(text)")
        #expect(!text.lowercased().contains("penguins"))
        let afterVideo = try #require(try await streams(after).first { $0["codec_type"] as? String == "video" })
        #expect(afterVideo["nb_frames"] as? String == beforeVideo["nb_frames"] as? String)
        #expect(afterVideo["bit_rate"] as? String == beforeVideo["bit_rate"] as? String, "the picture is copied, not re-encoded")

        // Every track deleted: the download has none.
        for file in try await fixture.store.bucket(MediaLayout.mediaBucket).find(["filename": .string(MediaLayout.captions(video.id, language: "en"))]) {
            try await fixture.store.bucket(MediaLayout.mediaBucket).delete(id: file.id)
        }
        try await remux.run(videoId: video.id)
        let none = scratchFile("none.mp4")
        #expect(try await fixture.media.downloadMedia(named: mp4, to: none))
        #expect(try await streams(none).allSatisfy { $0["codec_type"] as? String != "subtitle" })
    }
}
