import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import UploadService

@Suite("POST /api/videos (router, in-memory storage)")
struct DirectUploadTests {
    @Test("a raw MP4 body is stored with its size and SHA-256, the job and event are queued, 201 with the video")
    func rawUpload() async throws {
        let service = try TestUploadService()
        let user = UserID.random()
        let bytes = fakeMP4(700_000)
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: user)
            let response = try await client.uploadRaw(bytes, token: token, title: "Été à Paris 🎬")
            #expect(response.status == .created)
            let json = decodeJSON(response)
            #expect(json["title"] as? String == "Été à Paris 🎬")
            #expect(json["size"] as? Int == bytes.count)
            #expect(json["sha256"] as? String == sha256Hex(bytes))
            #expect(json["status"] as? String == "uploaded")
            #expect(json["visibility"] as? String == "private")
            #expect(json["contentType"] as? String == "video/mp4")
            let id = try #require((json["id"] as? String).flatMap(VideoID.init))
            #expect(response.headers[.location] == "/api/videos/\(id)")

            let record = try #require(try await service.repository.record(id: id))
            #expect(service.storage.bytes(ofFile: record.sourceFileID) == bytes)
            #expect(record.publishPending == true && record.sent?.entries.count == 2, "kept until confirmed durable")
            let jobs = service.publisher.messages(on: RedisNames.jobsStream)
            #expect(jobs.count == 1 && jobs.first?.videoId == id && jobs.first?.type == .transcodeRequested)
            let events = service.publisher.messages(on: RedisNames.eventsStream)
            guard case .videoUploaded(let event)? = events.first else {
                Issue.record("no video.uploaded event")
                return
            }
            #expect(event.payload.sha256 == sha256Hex(bytes) && event.payload.owner == user)
        }
    }

    @Test("multipart/form-data with title, description and a file part; the title may come after the file")
    func multipartUpload() async throws {
        let service = try TestUploadService()
        let bytes = fakeMP4(300_000)
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let boundary = "----clipcut-test-boundary"
            var body = ByteBuffer()
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../holiday clip.mp4\"\r\nContent-Type: video/mp4\r\n\r\n")
            body.writeBytes(bytes)
            body.writeString("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBeach día\r\n")
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nline one\nline two\r\n--\(boundary)--\r\n")
            let response = try await client.execute(
                uri: "/api/videos", method: .post, headers: bearer(token, [.contentType: "multipart/form-data; boundary=\(boundary)"]), body: body)
            #expect(response.status == .created)
            let json = decodeJSON(response)
            #expect(json["title"] as? String == "Beach día")
            #expect(json["description"] as? String == "line one\nline two")
            #expect(json["filename"] as? String == "holiday clip.mp4")
            #expect(json["sha256"] as? String == sha256Hex(bytes))

            var noFile = ByteBuffer()
            noFile.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx\r\n--\(boundary)--\r\n")
            let missing = try await client.execute(
                uri: "/api/videos", method: .post, headers: bearer(token, [.contentType: "multipart/form-data; boundary=\(boundary)"]), body: noFile)
            #expect(missing.status == .badRequest)
            #expect(errorCode(missing) == "missing_file")
        }
        #expect(service.storage.fileCount == 1)
    }

    @Test("bad input: no token, a text file called .mp4, zero bytes, a huge or control-character title, a wrong type")
    func badInput() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let anonymous = try await client.execute(
                uri: "/api/videos", method: .post, headers: [.contentType: "video/mp4"], body: ByteBuffer(bytes: fakeMP4(1000)))
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")

            let token = try await service.auth.token(for: .random())
            let text = Array(String(repeating: "This is not a video, only text pretending. ", count: 100).utf8)
            let textFile = try await client.uploadRaw(text, token: token)
            #expect(textFile.status == .unsupportedMediaType)
            #expect(errorCode(textFile) == "unsupported_media_type")

            let empty = try await client.uploadRaw([], token: token)
            #expect(empty.status == .badRequest)
            #expect(errorCode(empty) == "empty_upload")

            let longTitle = try await client.uploadRaw(fakeMP4(1000), token: token, title: String(repeating: "a", count: 10_000))
            #expect(longTitle.status == .badRequest)
            #expect(errorCode(longTitle) == "invalid_title")
            let controlTitle = try await client.uploadRaw(fakeMP4(1000), token: token, title: "bell\u{07}and\u{1B}[31mred")
            #expect(errorCode(controlTitle) == "invalid_title")
            let bidi = try await client.uploadRaw(fakeMP4(1000), token: token, title: "evil\u{202E}4pm.exe")
            #expect(errorCode(bidi) == "invalid_title")

            let json = try await client.uploadRaw(fakeMP4(1000), token: token, contentType: "application/json")
            #expect(json.status == .unsupportedMediaType)

            let short = try await client.uploadRaw(Array(fakeMP4(1000).prefix(6)), token: token)
            #expect(short.status == .unsupportedMediaType)
        }
        #expect(service.storage.fileCount == 0)
        #expect(service.publisher.messages(on: RedisNames.jobsStream).isEmpty)
    }

    @Test("quota and maximum size: 413 with how much is left, before or while bytes arrive; nothing kept")
    func quota() async throws {
        let service = try TestUploadService(quotaBytes: 1_000_000, maximumUploadBytes: 800_000)
        let user = UserID.random()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: user)
            let tooBig = try await client.uploadRaw(fakeMP4(900_000), token: token)
            #expect(tooBig.status == .contentTooLarge)
            #expect(errorCode(tooBig) == "payload_too_large")
            #expect(tooBig.headers[HTTPField.Name("ClipCut-Quota-Remaining")!] == "1000000")

            _ = try await client.uploadVideo(fakeMP4(600_000), token: token)
            let overQuota = try await client.uploadRaw(fakeMP4(500_000), token: token)
            #expect(overQuota.status == .contentTooLarge)
            #expect(overQuota.headers[HTTPField.Name("ClipCut-Quota-Remaining")!] == "400000")
            let message = (decodeJSON(overQuota)["error"] as? [String: Any])?["message"] as? String
            #expect(message?.contains("400000") == true)

            // Another user has a quota of their own.
            let other = try await service.auth.token(for: .random())
            _ = try await client.uploadVideo(fakeMP4(500_000), token: other)
        }
        #expect(service.storage.fileCount == 2)
    }

    @Test("burnSubtitles: from a header, the query or a form field; anything but true/false is 400")
    func burnSubtitles() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let burned = try await client.execute(
                uri: "/api/videos", method: .post,
                headers: bearer(token, [.contentType: "video/mp4", HTTPField.Name("X-Burn-Subtitles")!: "true"]),
                body: ByteBuffer(bytes: fakeMP4(2000)))
            #expect(decodeJSON(burned)["burnSubtitles"] as? Bool == true)
            let id = try #require((decodeJSON(burned)["id"] as? String).flatMap(VideoID.init))
            #expect(try await service.repository.record(id: id)?.video.burnSubtitles == true)
            let viaQuery = try await client.execute(
                uri: "/api/videos?burnSubtitles=0", method: .post, headers: bearer(token, [.contentType: "video/mp4"]),
                body: ByteBuffer(bytes: fakeMP4(2000)))
            #expect(decodeJSON(viaQuery)["burnSubtitles"] as? Bool == false)
            let invalid = try await client.execute(
                uri: "/api/videos?burnSubtitles=maybe", method: .post, headers: bearer(token, [.contentType: "video/mp4"]),
                body: ByteBuffer(bytes: fakeMP4(2000)))
            #expect(invalid.status == .badRequest && errorCode(invalid) == "invalid_flag")
        }
        #expect(service.storage.fileCount == 2)
    }

    @Test("Redis down at upload time: the video is kept and its job queued by the sweep once Redis is back")
    func outbox() async throws {
        let service = try TestUploadService()
        service.publisher.isDown = true
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let id = try await client.uploadVideo(fakeMP4(5000), token: token)
            #expect(try await service.repository.record(id: id)?.publishPending == true)
            #expect(service.publisher.messages(on: RedisNames.jobsStream).isEmpty)

            #expect(await service.dependencies.publication.sweep() == 0)  // still down
            service.publisher.isDown = false
            #expect(await service.dependencies.publication.sweep() == 1)
            #expect(service.publisher.messages(on: RedisNames.jobsStream).map(\.videoId) == [id])
            #expect(service.publisher.messages(on: RedisNames.eventsStream).map(\.type) == [.videoUploaded])
            #expect(try await service.repository.record(id: id)?.publishPending == true, "not confirmed yet")
            #expect(await service.dependencies.publication.sweep(now: Date().addingTimeInterval(3)) == 0)
            #expect(try await service.repository.record(id: id)?.publishPending == false)
            #expect(await service.dependencies.publication.sweep(now: Date().addingTimeInterval(6)) == 0)  // nothing twice
            #expect(service.publisher.messages(on: RedisNames.jobsStream).count == 1)
        }
    }

    @Test("a job and events answered by Redis but lost in a crash within the second are published again, with the same event ids")
    func lostInACrash() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let id = try await client.uploadVideo(fakeMP4(5000), token: token)
            #expect(try await client.execute(uri: "/api/videos/\(id)", method: .delete, headers: bearer(token)).status == .noContent)
            #expect(service.outbox.entries.withLock { $0.first?.sent } != nil, "video.deleted kept until confirmed")
            service.publisher.loseEverything()  // Redis restarted without its last second

            let publication = service.dependencies.publication
            #expect(await publication.sweep(now: Date().addingTimeInterval(3)) == 1, "video.deleted again (the video itself is gone)")
            #expect(service.publisher.messages(on: RedisNames.eventsStream).map(\.type) == [.videoDeleted])
            #expect(await publication.sweep(now: Date().addingTimeInterval(6)) == 0)
            #expect(service.outbox.entries.withLock { $0.isEmpty }, "confirmed, so forgotten")
        }
    }

    @Test("a lost job of a video that still exists is queued again with its eventId")
    func lostJobRequeued() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let id = try await client.uploadVideo(fakeMP4(5000), token: token)
            let before = service.publisher.messages(on: RedisNames.jobsStream).map(\.eventId)
            // Times count from when the job was sent, not from the test's clock: a slow machine
            // may take more than a second between the upload and the first sweep.
            let sentAt = try #require(try await service.repository.record(id: id)?.sent?.at)
            service.publisher.loseEverything()
            let publication = service.dependencies.publication
            #expect(await publication.sweep(now: sentAt.addingTimeInterval(1)) == 0, "too early to tell")
            #expect(await publication.sweep(now: sentAt.addingTimeInterval(3)) == 1)
            #expect(service.publisher.messages(on: RedisNames.jobsStream).map(\.eventId) == before)
            #expect(try await service.repository.record(id: id)?.publishPending == true)
            #expect(await publication.sweep(now: sentAt.addingTimeInterval(6)) == 0)
            #expect(try await service.repository.record(id: id)?.publishPending == false)
        }
    }
}
