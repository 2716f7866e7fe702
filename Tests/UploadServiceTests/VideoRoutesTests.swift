import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import UploadService

@Suite("The owner's videos: list, show, change, delete, lifecycle events (router, in-memory)")
struct VideoRoutesTests {
    @Test("listing pages newest first with an opaque cursor; forged cursors and bad limits are 400")
    func listing() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            var uploaded: [VideoID] = []
            for index in 0..<5 {
                uploaded.append(try await client.uploadVideo(fakeMP4(2000, seed: UInt8(index)), token: token, title: "clip \(index)"))
                try await Task.sleep(for: .milliseconds(3))
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/api/videos?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get, headers: bearer(token))
                #expect(page.status == .ok)
                let json = decodeJSON(page)
                seen += (json["videos"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = json["nextCursor"] as? String
            } while cursor != nil && seen.count < 10
            #expect(seen == uploaded.reversed().map(\.description))

            let other = try await service.auth.token(for: .random())
            let empty = try await client.execute(uri: "/api/videos", method: .get, headers: bearer(other))
            #expect((decodeJSON(empty)["videos"] as? [Any])?.isEmpty == true)

            for bad in ["limit=0", "limit=100000", "limit=abc", "cursor=bm90LWEtY3Vyc29y", "cursor=%00%01", "cursor=" + String(repeating: "A", count: 500)] {
                let response = try await client.execute(uri: "/api/videos?\(bad)", method: .get, headers: bearer(token))
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test("show and change are the owner's only: another user's id and an unknown id are both 404")
    func ownership() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let owner = try await service.auth.token(for: .random())
            let stranger = try await service.auth.token(for: .random())
            let id = try await client.uploadVideo(fakeMP4(3000), token: owner)
            #expect(try await client.execute(uri: "/api/videos/\(id)", method: .get, headers: bearer(owner)).status == .ok)
            for token in [stranger] {
                #expect(try await client.execute(uri: "/api/videos/\(id)", method: .get, headers: bearer(token)).status == .notFound)
                #expect(try await client.execute(uri: "/api/videos/\(id)", method: .delete, headers: bearer(token)).status == .notFound)
                let patch = try await client.execute(
                    uri: "/api/videos/\(id)", method: .patch, headers: bearer(token, [.contentType: "application/json"]),
                    body: ByteBuffer(string: #"{"title":"mine now"}"#))
                #expect(patch.status == .notFound)
            }
            #expect(try await client.execute(uri: "/api/videos/\(VideoID.random())", method: .get, headers: bearer(owner)).status == .notFound)
            #expect(try await client.execute(uri: "/api/videos/not-an-id", method: .get, headers: bearer(owner)).status == .notFound)
            #expect(try await client.execute(uri: "/api/videos/\(id)", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/videos/\(id)", method: .get, headers: bearer("garbage.token.here")).status == .unauthorized)
        }
    }

    @Test("PATCH changes title, description and visibility; broken JSON, bad values and empty patches are 400")
    func patching() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let id = try await client.uploadVideo(fakeMP4(3000), token: token)
            func patch(_ body: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/videos/\(id)", method: .patch, headers: bearer(token, [.contentType: "application/json"]),
                    body: ByteBuffer(string: body))
            }
            let changed = try await patch(#"{"title":"  Ça marche 👍 ","description":"two\nlines","visibility":"unlisted"}"#)
            #expect(changed.status == .ok)
            let json = decodeJSON(changed)
            #expect(json["title"] as? String == "Ça marche 👍")
            #expect(json["visibility"] as? String == "unlisted")
            #expect(json["description"] as? String == "two\nlines")

            #expect(try await patch(#"{"title": "#).status == .badRequest)
            #expect(errorCode(try await patch(#"{"visibility":"public"}"#)) == "invalid_visibility")
            #expect(errorCode(try await patch(#"{"title":""}"#)) == "invalid_title")
            #expect(errorCode(try await patch("{\"title\":\"\(String(repeating: "x", count: 201))\"}")) == "invalid_title")
            #expect(try await patch("{}").status == .badRequest)
            #expect(try await patch("[1,2]").status == .badRequest)
        }
    }

    @Test("DELETE removes source, renditions, captions and poster, and announces video.deleted")
    func deletion() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let user = UserID.random()
            let token = try await service.auth.token(for: user)
            let id = try await client.uploadVideo(fakeMP4(3000), token: token)
            for name in [MediaLayout.renditionMP4(id, quality: "360p"), MediaLayout.captions(id, language: "en"), MediaLayout.poster(id),
                         MediaLayout.hlsMaster(id)] {
                service.storage.add(bucket: .media, name: name, bytes: [1, 2, 3], metadata: ["videoId": id.description])
            }
            #expect(service.storage.fileCount == 5)
            #expect(try await client.execute(uri: "/api/videos/\(id)", method: .delete, headers: bearer(token)).status == .noContent)
            #expect(service.storage.fileCount == 0)
            #expect(try await client.execute(uri: "/api/videos/\(id)", method: .get, headers: bearer(token)).status == .notFound)
            let deleted = service.publisher.messages(on: RedisNames.eventsStream).filter { $0.type == .videoDeleted }
            #expect(deleted.map(\.videoId) == [id])
        }
    }

    @Test("lifecycle events move the document forward once; user.deleted removes every video of the user")
    func lifecycleEvents() async throws {
        let service = try TestUploadService()
        let applier = LifecycleEventApplier(dependencies: service.dependencies)
        let user = UserID.random()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: user)
            let first = try await client.uploadVideo(fakeMP4(3000), token: token)
            let second = try await client.uploadVideo(fakeMP4(3000, seed: 9), token: token)
            let keeper = try await client.uploadVideo(fakeMP4(3000, seed: 3), token: try await service.auth.token(for: .random()))

            let rung = Rendition(quality: "360p", width: 640, height: 360, bitrate: 800_000, size: 1000)
            let events: [ClipCutEvent] = [
                .videoTranscribing(VideoTranscribingEvent(videoId: first, language: "en")),
                .videoTranscoding(VideoTranscodingEvent(videoId: first, rungs: ["360p"], durationSeconds: 10, sourceWidth: 640, sourceHeight: 360)),
                .videoPlayable(VideoPlayableEvent(videoId: first, rungs: ["360p"], playableSeconds: 2, at: Date(timeIntervalSince1970: 1_900_000_000))),
                .renditionReady(RenditionReadyEvent(videoId: first, rendition: rung)),
                .videoReady(VideoReadyEvent(videoId: first, renditions: [rung], durationSeconds: 10)),
                .videoTranscribing(VideoTranscribingEvent(videoId: first, language: "en")),  // late duplicate: ignored
                .videoFailed(VideoFailedEvent(videoId: second, reason: "not a video")),
            ]
            for event in events.prefix(3) { try await applier.apply(event) }
            let playable = try #require(try await service.repository.record(id: first)).video
            #expect(playable.status == .playable && playable.playableAt == Date(timeIntervalSince1970: 1_900_000_000))
            for event in events.dropFirst(3) { try await applier.apply(event) }
            let ready = try #require(try await service.repository.record(id: first)).video
            #expect(ready.playableAt == Date(timeIntervalSince1970: 1_900_000_000), "kept once ready")
            #expect(ready.status == .ready && ready.renditions == [rung] && ready.durationSeconds == 10 && ready.sourceWidth == 640)
            let failed = try #require(try await service.repository.record(id: second)).video
            #expect(failed.status == .failed && failed.failureReason == "not a video")

            service.storage.add(bucket: .media, name: MediaLayout.poster(first), bytes: [1], metadata: ["videoId": first.description])
            try await applier.apply(.userDeleted(UserDeletedEvent(userId: user)))
            #expect(try await service.repository.record(id: first) == nil)
            #expect(try await service.repository.record(id: second) == nil)
            #expect(try await service.repository.record(id: keeper) != nil)
            #expect(service.storage.fileCount == 1)  // the other user's source
            try await applier.apply(.userDeleted(UserDeletedEvent(userId: user)))  // again: nothing to do
        }
    }
}
