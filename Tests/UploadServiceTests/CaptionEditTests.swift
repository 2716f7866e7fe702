import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import UploadService

/// The owner replaces, edits and deletes caption tracks (router, in-memory storage).
@Suite("Caption tracks the owner fixes (router, in-memory)")
struct CaptionEditTests {
    static let master = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-MEDIA-PLACEHOLDER
        #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Spanish",LANGUAGE="es",DEFAULT=YES,AUTOSELECT=YES,URI="subs/es.m3u8"
        #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English (translation)",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="subs/en.m3u8"
        #EXT-X-STREAM-INF:BANDWIDTH=1000,RESOLUTION=640x360,SUBTITLES="subs"
        360p/index.m3u8

        """.replacingOccurrences(of: "#EXT-MEDIA-PLACEHOLDER\n", with: "")

    /// A ready Spanish video with its Spanish track and English translation.
    static func readyVideo(_ service: TestUploadService, owner: UserID) async throws -> VideoID {
        var video = Video(owner: owner, title: "Playa", filename: "playa.mp4", size: 10, sha256: "x", contentType: "video/mp4", status: .ready)
        video.durationSeconds = 20
        video.captionState = .ready
        video.captionLanguage = "es"
        video.captionTranslated = true
        video.captionModel = "base"
        try await service.repository.insert(VideoRecord(video: video, sourceFileID: "", publishPending: false))
        func put(_ text: String, _ name: String) async throws {
            _ = try await service.storage.storeMedia(named: name, videoId: video.id, metadata: [:]) { try await $0.write(ByteBuffer(string: text)) }
        }
        try await put("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nVamos a la playa\n\n", MediaLayout.captions(video.id, language: "es"))
        try await put("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nWe go to the beach\n\n", MediaLayout.captions(video.id, language: "en"))
        try await put(master, MediaLayout.hlsMaster(video.id))
        return video.id
    }

    static func text(_ service: TestUploadService, _ name: String) async throws -> String? {
        guard let file = try await service.storage.mediaFile(named: name) else { return nil }
        return String(decoding: try await service.storage.readAll(file), as: UTF8.self)
    }

    @Test("an SRT replaces the Spanish track: stored as WebVTT, HLS kept, search told (edited, both tracks' cues), MP4 re-mux asked, video marked")
    func replaceWithSRT() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let owner = UserID.random()
            let token = try await service.auth.token(for: owner)
            let id = try await Self.readyVideo(service, owner: owner)
            let srt = "1\r\n00:00:01,000 --> 00:00:04,500\r\nVamos a la montaña & al río\r\n\r\n2\r\n00:00:05,000 --> 00:00:07,000\r\nCon amigos\r\n"
            let response = try await client.execute(
                uri: "/api/videos/\(id)/captions/es", method: .put, headers: bearer(token, [.contentType: "application/x-subrip"]),
                body: ByteBuffer(string: srt))
            #expect(response.status == .ok)
            #expect(decodeJSON(response)["cues"] as? Int == 2)
            let stored = try #require(try await Self.text(service, MediaLayout.captions(id, language: "es")))
            #expect(stored.hasPrefix("WEBVTT") && stored.contains("00:00:04.500") && stored.contains("montaña &amp; al río"))
            #expect(try await Self.text(service, MediaLayout.hlsFile(id, path: "subs/es.vtt")) == stored)
            #expect(try await Self.text(service, MediaLayout.hlsFile(id, path: "subs/es.m3u8"))?.contains("es.vtt") == true)
            let master = try #require(try await Self.text(service, MediaLayout.hlsMaster(id)))
            #expect(master.contains(#"LANGUAGE="es""#) && master.contains(#"LANGUAGE="en""#) && master.contains(#"SUBTITLES="subs""#))

            let event = service.publisher.messages(on: RedisNames.eventsStream).last
            guard case .videoCaptions(let captions)? = event else {
                Issue.record("no video.captions event")
                return
            }
            #expect(captions.payload.edited == true && captions.payload.language == "es" && captions.payload.model == "base")
            #expect(captions.payload.cues.map(\.text) == ["Vamos a la montaña & al río", "Con amigos"])
            #expect(captions.payload.translation.map(\.text) == ["We go to the beach"])
            #expect(service.remuxRequests.requested.withLock { $0 } == [id])
            let video = try #require(try await service.repository.record(id: id)?.video)
            #expect(video.captionEdited == true && video.captionLanguage == "es" && video.captionTranslated == true)
        }
    }

    @Test("bad caption files are 4xx with the reason; a stranger gets 404; an unfinished video 409")
    func refusals() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let owner = UserID.random()
            let token = try await service.auth.token(for: owner)
            let id = try await Self.readyVideo(service, owner: owner)
            func put(_ body: String, type: String = "text/vtt", language: String = "es", as user: String? = nil) async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/videos/\(id)/captions/\(language)", method: .put, headers: bearer(user ?? token, [.contentType: type]),
                    body: ByteBuffer(string: body))
            }
            let cases: [(String, String, HTTPResponse.Status, String, String)] = [
                ("not captions", "just some words, no cues", .badRequest, "invalid_captions", "no `start --> end`"),
                ("end before start", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nBackwards\n", .badRequest, "invalid_captions", "ends before it starts"),
                ("markup", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<script>alert(1)</script>\n", .badRequest, "invalid_captions", "markup"),
                ("past the end", "WEBVTT\n\n00:10:00.000 --> 00:10:02.000\nLate\n", .badRequest, "invalid_captions", "after the end"),
                ("10 MB", String(repeating: "a", count: 10 << 20), .contentTooLarge, "captions_too_large", "KiB"),
            ]
            for (name, body, status, code, reason) in cases {
                let response = try await put(body)
                #expect(response.status == status, "\(name)")
                #expect(errorCode(response) == code, "\(name)")
                #expect(String(buffer: response.body).contains(reason), "\(name): \(String(buffer: response.body).prefix(200))")
            }
            #expect(errorCode(try await put("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHola\n", language: "xx")) == "invalid_language")
            let stranger = try await service.auth.token(for: .random())
            #expect(try await put("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHola\n", as: stranger).status == .notFound)
            #expect(try await Self.text(service, MediaLayout.captions(id, language: "es"))?.contains("Vamos a la playa") == true, "nothing changed")

            let pending = try await client.uploadVideo(fakeMP4(3000), token: token)
            let early = try await client.execute(
                uri: "/api/videos/\(pending)/captions/en", method: .put, headers: bearer(token, [.contentType: "text/vtt"]),
                body: ByteBuffer(string: "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n"))
            #expect(early.status == .conflict && errorCode(early) == "not_ready")
        }
    }

    @Test("the editor's JSON cues replace a track; deleting the translation removes it from HLS and the video; deleting the last leaves none")
    func editorAndDelete() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let owner = UserID.random()
            let token = try await service.auth.token(for: owner)
            let id = try await Self.readyVideo(service, owner: owner)
            let json = #"{"cues":[{"start":1.25,"end":2.5,"text":"Vamos a la playa, hoy"}]}"#
            let edited = try await client.execute(
                uri: "/api/videos/\(id)/captions/es", method: .put, headers: bearer(token, [.contentType: "application/json"]),
                body: ByteBuffer(string: json))
            #expect(edited.status == .ok)
            #expect(try await Self.text(service, MediaLayout.captions(id, language: "es"))?.contains("00:00:01.250 --> 00:00:02.500") == true)

            #expect(try await client.execute(uri: "/api/videos/\(id)/captions/en", method: .delete, headers: bearer(token)).status == .noContent)
            #expect(try await Self.text(service, MediaLayout.captions(id, language: "en")) == nil)
            let master = try #require(try await Self.text(service, MediaLayout.hlsMaster(id)))
            #expect(!master.contains(#"LANGUAGE="en""#) && master.contains(#"SUBTITLES="subs""#))
            #expect(try await service.repository.record(id: id)?.video.captionTranslated == false)
            #expect(try await client.execute(uri: "/api/videos/\(id)/captions/en", method: .delete, headers: bearer(token)).status == .notFound)

            #expect(try await client.execute(uri: "/api/videos/\(id)/captions/es", method: .delete, headers: bearer(token)).status == .noContent)
            let video = try #require(try await service.repository.record(id: id)?.video)
            #expect(video.captionState == .noAudioTrack && video.captionFailureReason == "the owner deleted the captions")
            #expect(!(try #require(try await Self.text(service, MediaLayout.hlsMaster(id)))).contains("SUBTITLES"))
            #expect(service.remuxRequests.requested.withLock { $0.count } == 3)
        }
    }
}
