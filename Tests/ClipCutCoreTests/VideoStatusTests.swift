import ClipCutCore
import Foundation
import Testing

@Suite("Video status machine")
struct VideoStatusTests {
    /// Every allowed step; everything else is refused.
    static let allowed: Set<[VideoStatus]> = [
        [.uploaded, .transcribing], [.transcribing, .transcoding], [.transcoding, .ready],
        [.transcoding, .playable], [.playable, .ready],
        [.uploaded, .failed], [.transcribing, .failed], [.transcoding, .failed], [.playable, .failed],
    ]

    static var allPairs: [(VideoStatus, VideoStatus)] {
        VideoStatus.allCases.flatMap { from in VideoStatus.allCases.map { (from, $0) } }
    }

    @Test("canTransition allows exactly the documented steps", arguments: allPairs)
    func transitionTable(from: VideoStatus, to: VideoStatus) {
        #expect(from.canTransition(to: to) == Self.allowed.contains([from, to]))
    }

    @Test("ready and failed are terminal; failed is reachable from every other status")
    func terminalStates() {
        #expect(VideoStatus.ready.isTerminal && VideoStatus.failed.isTerminal)
        for status in VideoStatus.allCases where !status.isTerminal {
            #expect(status.canTransition(to: .failed))
        }
        for status in [VideoStatus.ready, .failed] {
            #expect(status.allowedNextStatuses.isEmpty)
        }
    }

    @Test("a video walks the happy path and updates updatedAt")
    func happyPath() throws {
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        var video = Self.sampleVideo(createdAt: created)
        #expect(video.status == .uploaded)
        let later = created.addingTimeInterval(60)
        try video.transition(to: .transcribing, at: later)
        try video.transition(to: .transcoding, at: later)
        try video.transition(to: .ready, at: later)
        #expect(video.status == .ready)
        #expect(video.updatedAt == later)
        #expect(video.failureReason == nil)
    }

    @Test("refused steps throw and leave the video unchanged")
    func invalidTransitionsThrow() throws {
        var video = Self.sampleVideo()
        #expect(throws: InvalidStatusTransition(from: .uploaded, to: .ready)) {
            try video.transition(to: .ready)
        }
        #expect(throws: InvalidStatusTransition(from: .uploaded, to: .uploaded)) {
            try video.transition(to: .uploaded)
        }
        #expect(video.status == .uploaded)
        try video.transition(to: .failed, failureReason: "not a video")
        #expect(video.failureReason == "not a video")
        #expect(throws: InvalidStatusTransition.self) {
            try video.transition(to: .transcribing)
        }
    }

    @Test("a video document round-trips through JSON, and old documents get defaults")
    func videoCoding() throws {
        var video = Self.sampleVideo()
        video.renditions = [Rendition(quality: "720p", width: 1280, height: 720, bitrate: 3_000_000, size: 1234)]
        video.captionState = .pending
        let decoded = try JSONCoding.decode(Video.self, from: JSONCoding.encode(video))
        #expect(decoded == video)

        let minimal = """
            {"id":"\(video.id)","owner":"\(video.owner)","title":"t","filename":"a.mp4","size":1,
             "sha256":"00","contentType":"video/mp4","status":"uploaded","createdAt":"2025-01-31T12:00:00Z"}
            """
        let old = try JSONCoding.decode(Video.self, from: Data(minimal.utf8))
        #expect(old.visibility == .private)
        #expect(old.description == "")
        #expect(old.renditions.isEmpty)
        #expect(old.updatedAt == old.createdAt)
    }

    static func sampleVideo(createdAt: Date = Date()) -> Video {
        Video(
            owner: .random(), title: "Holiday", filename: "holiday.mp4", size: 1_048_576,
            sha256: String(repeating: "ab", count: 32), contentType: "video/mp4", createdAt: createdAt
        )
    }
}
