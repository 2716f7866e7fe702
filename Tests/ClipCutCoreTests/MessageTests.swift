import ClipCutCore
import Foundation
import Testing

/// One sample of every message type.
enum MessageSamples {
    static let videoId = VideoID("3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2b") ?? .random()
    static let owner = UserID("11111111-2222-4333-8444-555555555555") ?? .random()
    static let at = Date(timeIntervalSince1970: 1_738_324_800.25)
    static let rendition = Rendition(quality: "720p", width: 1280, height: 720, bitrate: 3_000_000, size: 42)

    static let all: [ClipCutEvent] = [
        .transcodeRequested(TranscodeJob(videoId: videoId, owner: owner, at: at)),
        .videoUploaded(
            VideoUploadedEvent(
                videoId: videoId, owner: owner, title: "Holiday", filename: "holiday.mp4", size: 1_048_576,
                contentType: "video/mp4", sha256: String(repeating: "ab", count: 32), at: at)),
        .videoTranscribing(VideoTranscribingEvent(videoId: videoId, language: "en", at: at)),
        .videoTranscoding(
            VideoTranscodingEvent(
                videoId: videoId, rungs: ["720p", "480p"], durationSeconds: 30.5, sourceWidth: 1280,
                sourceHeight: 720, at: at)),
        .videoProgress(
            VideoProgressEvent(
                videoId: videoId, stage: .transcoding, rung: "720p", percent: 42.5, fps: 61, speed: 2.1,
                etaSeconds: 12, logLine: "frame=120 fps=61", at: at)),
        .videoCaptions(
            VideoCaptionsEvent(
                videoId: videoId, state: .ready, language: "en",
                cues: [CaptionCue(start: 0.5, end: 2.25, text: "Hello there")], at: at)),
        .videoPlayable(VideoPlayableEvent(videoId: videoId, rungs: ["720p"], playableSeconds: 4, at: at)),
        .renditionReady(RenditionReadyEvent(videoId: videoId, rendition: rendition, at: at)),
        .videoReady(VideoReadyEvent(videoId: videoId, renditions: [rendition], durationSeconds: 30.5, at: at)),
        .videoFailed(VideoFailedEvent(videoId: videoId, reason: "not a video", at: at)),
        .videoRetried(VideoRetriedEvent(videoId: videoId, previousReason: "not a video", at: at)),
        .videoDeleted(VideoDeletedEvent(videoId: videoId, owner: owner, at: at)),
        .userDeleted(UserDeletedEvent(userId: owner, at: at)),
    ]
}

@Suite("Jobs and events")
struct MessageTests {
    @Test("every message type has a sample")
    func samplesCoverEveryType() {
        #expect(Set(MessageSamples.all.map(\.type)) == Set(MessageType.allCases))
    }

    @Test("each message round-trips with its type, version, eventId, videoId and at", arguments: MessageSamples.all)
    func roundTrip(event: ClipCutEvent) throws {
        let data = try event.encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["type"] as? String == event.type.rawValue)
        #expect(object["version"] as? Int == 1)
        #expect(object["at"] as? String == "2025-01-31T12:00:00.250Z")
        #expect((object["eventId"] as? String).flatMap(UUID.init(uuidString:)) == event.eventId)
        if event.type == .userDeleted {
            #expect(object["videoId"] == nil)
            #expect(object["userId"] as? String == MessageSamples.owner.description)
        } else {
            #expect(object["videoId"] as? String == MessageSamples.videoId.description)
        }

        let decoded = try ClipCutEvent.decode(from: data)
        #expect(decoded == event)
        #expect(decoded.videoId == (event.type == .userDeleted ? nil : MessageSamples.videoId))
        #expect(ClipCutEvent(event.message) == event)
    }

    @Test("concrete types decode their own JSON and refuse another type's")
    func concreteTypeChecksType() throws {
        let failed = VideoFailedEvent(videoId: MessageSamples.videoId, reason: "boom")
        let data = try failed.encoded()
        #expect(try JSONCoding.decode(VideoFailedEvent.self, from: data) == failed)
        #expect(throws: MessageDecodingError.typeMismatch(expected: .videoReady, found: "video.failed")) {
            try JSONCoding.decode(VideoReadyEvent.self, from: data)
        }
    }

    @Test("an unknown type is a typed error, not a crash")
    func unknownType() {
        let json = #"{"type":"video.exploded","version":1,"eventId":"\#(UUID())","videoId":"\#(MessageSamples.videoId)","at":"2025-01-31T12:00:00Z"}"#
        #expect(throws: MessageDecodingError.unknownType("video.exploded")) {
            try ClipCutEvent.decode(from: json)
        }
    }

    @Test("a message without a type is a typed error")
    func missingType() {
        #expect(throws: MessageDecodingError.missingType) {
            try ClipCutEvent.decode(from: #"{"videoId":"\#(MessageSamples.videoId)"}"#)
        }
        #expect(throws: DecodingError.self) {
            try ClipCutEvent.decode(from: "[1,2,3]")
        }
    }

    @Test("a known type with a bad field is a decoding error")
    func badField() {
        let json = #"{"type":"video.failed","version":1,"eventId":"\#(UUID())","videoId":"nope","at":"2025-01-31T12:00:00Z","reason":"x"}"#
        #expect(throws: DecodingError.self) {
            try ClipCutEvent.decode(from: json)
        }
    }

    @Test("a newer version with extra fields still decodes; absent optional fields default")
    func forwardCompatible() throws {
        let json = """
            {"type":"video.transcoding","version":2,"eventId":"\(UUID())","videoId":"\(MessageSamples.videoId)",
             "at":"2025-01-31T12:00:00.5+01:00","newField":{"x":1}}
            """
        guard case .videoTranscoding(let event) = try ClipCutEvent.decode(from: json) else {
            Issue.record("wrong case")
            return
        }
        #expect(event.version == 2)
        #expect(event.rungs.isEmpty)
        #expect(event.durationSeconds == nil)
        #expect(JSONCoding.formatTimestamp(event.at) == "2025-01-31T11:00:00.500Z")
    }

    @Test("encoding is deterministic: sorted keys")
    func sortedKeys() throws {
        let json = try VideoDeletedEvent(
            videoId: MessageSamples.videoId, owner: MessageSamples.owner, at: MessageSamples.at,
            eventId: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))
        ).jsonString()
        #expect(
            json == #"{"at":"2025-01-31T12:00:00.250Z","eventId":"00000000-0000-0000-0000-000000000001","owner":"\#(MessageSamples.owner)","type":"video.deleted","version":1,"videoId":"\#(MessageSamples.videoId)"}"#
        )
    }
}
