import ClipCutCore
import Foundation
import Testing

/// The exact bytes of every message type, recorded from the hand-written coders that
/// ``MessageEnvelope`` replaced: the wire format must not drift.
enum WireSamples {
    static let id = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7))
    static let v = MessageSamples.videoId
    static let o = MessageSamples.owner
    static let at = MessageSamples.at
    static let r = MessageSamples.rendition

    static let all: [(message: any ClipCutMessage, json: String)] = [
        (
            TranscodeJob(videoId: v, owner: o, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","owner":"\#(o)","type":"transcode.requested","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoUploadedEvent(
                videoId: v, owner: o, title: "Holiday", filename: "holiday.mp4", size: 1_048_576,
                contentType: "video/mp4", sha256: "ab", at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","contentType":"video/mp4","eventId":"\#(id)","filename":"holiday.mp4","owner":"\#(o)","sha256":"ab","size":1048576,"title":"Holiday","type":"video.uploaded","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoTranscribingEvent(videoId: v, language: "en", at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","language":"en","type":"video.transcribing","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoTranscribingEvent(videoId: v, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","type":"video.transcribing","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoTranscodingEvent(
                videoId: v, rungs: ["720p", "480p"], durationSeconds: 30.5, sourceWidth: 1280, sourceHeight: 720,
                at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","durationSeconds":30.5,"eventId":"\#(id)","rungs":["720p","480p"],"sourceHeight":720,"sourceWidth":1280,"type":"video.transcoding","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoTranscodingEvent(videoId: v, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","rungs":[],"type":"video.transcoding","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoProgressEvent(
                videoId: v, stage: .transcoding, rung: "720p", percent: 42.5, fps: 61, speed: 2.1, etaSeconds: 12,
                logLine: "frame=120 fps=61", at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","etaSeconds":12,"eventId":"\#(id)","fps":61,"logLine":"frame=120 fps=61","percent":42.5,"rung":"720p","speed":2.1,"stage":"transcoding","type":"video.progress","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoProgressEvent(videoId: v, stage: .probing, percent: 0, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","percent":0,"stage":"probing","type":"video.progress","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoProgressEvent(videoId: v, stage: .transcoding, rungs: ["720p"], percent: 3, playableSeconds: 2, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","percent":3,"playableSeconds":2,"rungs":["720p"],"stage":"transcoding","type":"video.progress","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoCaptionsEvent(
                videoId: v, state: .ready, language: "en",
                cues: [CaptionCue(start: 0.5, end: 2.25, text: "Hello there")], at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","cues":[{"end":2.25,"start":0.5,"text":"Hello there"}],"eventId":"\#(id)","language":"en","state":"ready","translation":[],"type":"video.captions","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoCaptionsEvent(videoId: v, state: .pending, language: "en", at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","cues":[],"eventId":"\#(id)","language":"en","state":"pending","translation":[],"type":"video.captions","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoPlayableEvent(videoId: v, rungs: ["720p", "360p"], playableSeconds: 4, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","playableSeconds":4,"rungs":["720p","360p"],"type":"video.playable","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoPlayableEvent(videoId: v, rungs: [], at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","rungs":[],"type":"video.playable","version":1,"videoId":"\#(v)"}"#
        ),
        (
            RenditionReadyEvent(videoId: v, rendition: r, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","rendition":{"bitrate":3000000,"height":720,"quality":"720p","size":42,"width":1280},"type":"rendition.ready","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoReadyEvent(videoId: v, renditions: [r], durationSeconds: 30.5, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","durationSeconds":30.5,"eventId":"\#(id)","renditions":[{"bitrate":3000000,"height":720,"quality":"720p","size":42,"width":1280}],"type":"video.ready","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoReadyEvent(videoId: v, renditions: [], at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","renditions":[],"type":"video.ready","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoFailedEvent(videoId: v, reason: "not a video", at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","reason":"not a video","type":"video.failed","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoRetriedEvent(videoId: v, previousReason: "ffmpeg failed.", at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","previousReason":"ffmpeg failed.","type":"video.retried","version":1,"videoId":"\#(v)"}"#
        ),
        (
            VideoDeletedEvent(videoId: v, owner: o, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","owner":"\#(o)","type":"video.deleted","version":1,"videoId":"\#(v)"}"#
        ),
        (
            UserDeletedEvent(userId: o, at: at, eventId: id),
            #"{"at":"2025-01-31T12:00:00.250Z","eventId":"\#(id)","type":"user.deleted","userId":"\#(o)","version":1}"#
        ),
    ]
}

@Suite("Message wire format")
struct MessageWireFormatTests {
    @Test("every message encodes to the recorded bytes and decodes back", arguments: WireSamples.all.indices)
    func recordedBytes(index: Int) throws {
        let (message, json) = WireSamples.all[index]
        #expect(try message.jsonString() == json)
        let event = try #require(ClipCutEvent(message))
        #expect(try ClipCutEvent.decode(from: json) == event)
        #expect(try Self.decodesAsItself(message, from: json))
    }

    /// Whether `json` decodes as `message`'s own type, equal to it.
    private static func decodesAsItself<Message: ClipCutMessage>(_ message: Message, from json: String) throws -> Bool {
        try JSONCoding.decode(Message.self, from: Data(json.utf8)) == message
    }

    @Test("every message type is recorded")
    func recordsEveryType() {
        #expect(Set(WireSamples.all.map(\.message.type)) == Set(MessageType.allCases))
    }

    @Test("no payload field shares a name with a common field")
    func payloadKeysDoNotCollide() throws {
        for (message, _) in WireSamples.all {
            let payload = try #require(message as? any PayloadEncoding).payloadJSON()
            let object = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
            #expect(Set(object.keys).isDisjoint(with: ["type", "version", "eventId", "at"]), "\(message.type)")
        }
    }

    @Test("a missing version decodes as 1")
    func missingVersion() throws {
        let json = #"{"type":"video.failed","eventId":"\#(UUID())","videoId":"\#(WireSamples.v)","at":"2025-01-31T12:00:00Z","reason":"x"}"#
        let event = try JSONCoding.decode(VideoFailedEvent.self, from: Data(json.utf8))
        #expect(event.version == 1)
        #expect(event.reason == "x")
    }

    @Test("a concrete type refuses a message without a type")
    func concreteTypeNeedsType() {
        let json = #"{"version":1,"eventId":"\#(UUID())","videoId":"\#(WireSamples.v)","at":"2025-01-31T12:00:00Z","reason":"x"}"#
        #expect(throws: MessageDecodingError.missingType) {
            try JSONCoding.decode(VideoFailedEvent.self, from: Data(json.utf8))
        }
    }

    @Test("required fields stay required: header and payload")
    func requiredFields() {
        let noEventId = #"{"type":"video.failed","videoId":"\#(WireSamples.v)","at":"2025-01-31T12:00:00Z","reason":"x"}"#
        let noVideoId = #"{"type":"video.failed","eventId":"\#(UUID())","at":"2025-01-31T12:00:00Z","reason":"x"}"#
        let noReason = #"{"type":"video.failed","eventId":"\#(UUID())","videoId":"\#(WireSamples.v)","at":"2025-01-31T12:00:00Z"}"#
        for json in [noEventId, noVideoId, noReason] {
            #expect(throws: DecodingError.self) {
                try JSONCoding.decode(VideoFailedEvent.self, from: Data(json.utf8))
            }
        }
    }

    @Test("missing or null cues decode as empty")
    func cuesDefaultToEmpty() throws {
        let header = #""type":"video.captions","eventId":"\#(UUID())","videoId":"\#(WireSamples.v)","at":"2025-01-31T12:00:00Z""#
        for extra in ["", #","cues":null"#] {
            let json = "{" + header + #","state":"failed","language":"en""# + extra + "}"
            let event = try JSONCoding.decode(VideoCaptionsEvent.self, from: Data(json.utf8))
            #expect(event.cues.isEmpty)
            #expect(event.state == .failed)
        }
    }

    @Test("payload fields read and write through the message")
    func fieldAccess() {
        var event = VideoFailedEvent(videoId: WireSamples.v, reason: "boom", at: WireSamples.at)
        event.reason = "not a video"
        #expect(event.payload.reason == "not a video")
        let other = VideoID.random()
        event.videoId = other
        #expect(event.payload.videoId == other)
        #expect(event.at == WireSamples.at)
    }
}

/// A message whose payload can be encoded alone, to see its keys.
private protocol PayloadEncoding {
    func payloadJSON() throws -> Data
}

extension MessageEnvelope: PayloadEncoding {
    fileprivate func payloadJSON() throws -> Data {
        try JSONCoding.encode(payload)
    }
}
