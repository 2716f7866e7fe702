import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import UploadService

/// `POST /api/videos/:id/clips` on the router with in-memory storage.
@Suite("POST /api/videos/:id/clips (router, in-memory storage)")
struct ClipRouteTests {
    /// A ready 60 s video of `owner`, as processing leaves it.
    static func readySource(_ service: TestUploadService, owner: UserID, status: VideoStatus = .ready) async throws -> Video {
        var video = Video(owner: owner, title: "The talk", filename: "talk.mp4", size: 60_000_000, sha256: "ab", contentType: "video/mp4", status: status)
        video.durationSeconds = 60
        video.renditions = [Rendition(quality: "720p", width: 1280, height: 720), Rendition(quality: "360p", width: 640, height: 360)]
        try await service.repository.insert(VideoRecord(video: video, sourceFileID: "source", publishPending: false))
        return video
    }

    static func clip(_ client: some TestClientProtocol, _ id: VideoID, token: String?, body: String) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers = bearer(token, headers) }
        return try await client.execute(uri: "/api/videos/\(id)/clips", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test("the owner's range becomes a new video queued like an upload, linked to its source; bad ranges 400, others 404, unready 409")
    func createClip() async throws {
        let service = try TestUploadService()
        let owner = UserID.random()
        let source = try await Self.readySource(service, owner: owner)
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: owner)
            let jobsBefore = service.publisher.messages(on: RedisNames.jobsStream).count

            let created = try await Self.clip(client, source.id, token: token, body: #"{"from": 12.5, "to": 60}"#)
            #expect(created.status == .created)
            let body = decodeJSON(created)
            let clipId = try #require((body["id"] as? String).flatMap(VideoID.init))
            #expect(body["status"] as? String == "uploaded" && body["title"] as? String == "The talk (clip)")
            let origin = try #require(body["clipOf"] as? [String: Any])
            #expect(origin["videoId"] as? String == source.id.description && origin["from"] as? Double == 12.5 && origin["to"] as? Double == 60)
            // Its share of the source's bytes counts against the quota: 47.5 of 60 s.
            #expect(body["size"] as? Int == 47_500_000)
            let jobs = service.publisher.messages(on: RedisNames.jobsStream)
            #expect(jobs.count == jobsBefore + 1)
            #expect(try await service.repository.record(id: clipId)?.video.clipOf == ClipOrigin(videoId: source.id, from: 12.5, to: 60))

            let named = try await Self.clip(client, source.id, token: token, body: #"{"from": 0, "to": 1, "title": "The first second"}"#)
            #expect(named.status == .created && decodeJSON(named)["title"] as? String == "The first second")

            for bad in [#"{"from": -1, "to": 10}"#, #"{"from": 10, "to": 10.5}"#, #"{"from": 30, "to": 61}"#, #"{"from": 20, "to": 10}"#,
                        #"{"from": "a", "to": 10}"#, #"{"to": 10}"#, #"{"from": 0, "to": 10, "title": ""}"#] {
                let answer = try await Self.clip(client, source.id, token: token, body: bad)
                #expect(answer.status == .badRequest, "\(bad)")
            }
            #expect(errorCode(try await Self.clip(client, source.id, token: token, body: #"{"from": 30, "to": 61}"#)) == "invalid_range")
            let stranger = try await service.auth.token(for: .random())
            #expect(try await Self.clip(client, source.id, token: stranger, body: #"{"from": 0, "to": 10}"#).status == .notFound)
            #expect(try await Self.clip(client, source.id, token: nil, body: #"{"from": 0, "to": 10}"#).status == .unauthorized)
            #expect(try await Self.clip(client, .random(), token: token, body: #"{"from": 0, "to": 10}"#).status == .notFound)
            let processing = try await Self.readySource(service, owner: owner, status: .transcoding)
            let unready = try await Self.clip(client, processing.id, token: token, body: #"{"from": 0, "to": 10}"#)
            #expect(unready.status == .conflict && errorCode(unready) == "source_not_ready")
        }
    }
}
