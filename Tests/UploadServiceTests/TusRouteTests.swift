import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import UploadService

@Suite("tus 1.0 at /api/uploads (router, in-memory)")
struct TusRouteTests {
    static func tusHeaders(_ token: String, _ extra: HTTPFields = [:]) -> HTTPFields {
        var headers = bearer(token, extra)
        headers[.testTus] = "1.0.0"
        return headers
    }

    static func create(_ client: some TestClientProtocol, token: String, length: Int, metadata: String? = nil) async throws -> TestResponse {
        var headers = tusHeaders(token, [.testUploadLength: String(length)])
        if let metadata { headers[.testUploadMetadata] = metadata }
        return try await client.execute(uri: "/api/uploads", method: .post, headers: headers)
    }

    static func patch(_ client: some TestClientProtocol, _ location: String, token: String, offset: Int, _ bytes: ArraySlice<UInt8>) async throws -> TestResponse {
        try await client.execute(
            uri: location, method: .patch,
            headers: tusHeaders(token, [.contentType: "application/offset+octet-stream", .testUploadOffset: String(offset)]),
            body: ByteBuffer(bytes: bytes))
    }

    @Test("create, write in uneven pieces across chunk boundaries, HEAD, finish: the video has the bytes' SHA-256")
    func resumableUpload() async throws {
        let service = try TestUploadService()
        let bytes = fakeMP4(700_001)
        try await service.application().test(.router) { client in
            let options = try await client.execute(uri: "/api/uploads", method: .options)
            #expect(options.headers[.testTus] == "1.0.0")
            #expect(options.headers[HTTPField.Name("Tus-Extension")!]?.contains("termination") == true)

            let token = try await service.auth.token(for: .random())
            let title = Data("Résumé 🎥".utf8).base64EncodedString(), name = Data("talk.mp4".utf8).base64EncodedString()
            let created = try await Self.create(client, token: token, length: bytes.count, metadata: "filename \(name),title \(title),flag")
            #expect(created.status == .created)
            let location = try #require(created.headers[.location])
            #expect(created.headers[HTTPField.Name("Upload-Expires")!]?.hasSuffix("GMT") == true)

            var offset = 0
            for size in [100, 300_000, 1, 261_119, 138_781] {
                let response = try await Self.patch(client, location, token: token, offset: offset, bytes[offset..<offset + size])
                #expect(response.status == .noContent)
                offset += size
                #expect(response.headers[.testUploadOffset] == String(offset))
                let head = try await client.execute(uri: location, method: .head, headers: Self.tusHeaders(token))
                #expect(head.headers[.testUploadOffset] == String(offset))
                #expect(head.headers[.testUploadLength] == String(bytes.count))
                #expect(head.headers[.cacheControl] == "no-store")
            }
            #expect(offset == bytes.count)
            let videoId = try #require(created.headers[HTTPField.Name("X-Video-Id")!].flatMap(VideoID.init))
            let video = try #require(try await service.repository.record(id: videoId))
            #expect(video.video.sha256 == sha256Hex(bytes))
            #expect(video.video.title == "Résumé 🎥" && video.video.filename == "talk.mp4")
            #expect(service.storage.bytes(ofFile: video.sourceFileID) == bytes)
            #expect(service.storage.looseChunkCount == 0)
            #expect(service.publisher.messages(on: RedisNames.jobsStream).map(\.videoId) == [videoId])
        }
    }

    @Test("wrong offset 409, wrong content type 415, missing Tus-Resumable 412, bad lengths 400/413, other users 404")
    func badInput() async throws {
        let service = try TestUploadService(quotaBytes: 1_000_000, maximumUploadBytes: 900_000)
        let bytes = fakeMP4(10_000)
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let created = try await Self.create(client, token: token, length: bytes.count)
            let location = try #require(created.headers[.location])
            #expect(try await Self.patch(client, location, token: token, offset: 0, bytes[0..<1000]).status == .noContent)
            let wrongOffset = try await Self.patch(client, location, token: token, offset: 0, bytes[0..<1000])
            #expect(wrongOffset.status == .conflict && errorCode(wrongOffset) == "offset_mismatch")
            #expect(wrongOffset.headers[.testTus] == "1.0.0")
            let wrongType = try await client.execute(
                uri: location, method: .patch, headers: Self.tusHeaders(token, [.contentType: "video/mp4", .testUploadOffset: "1000"]),
                body: ByteBuffer(bytes: bytes[1000..<2000]))
            #expect(wrongType.status == .unsupportedMediaType)
            let noVersion = try await client.execute(uri: location, method: .head, headers: bearer(token))
            #expect(noVersion.status == .preconditionFailed)
            let tooLong = try await Self.patch(client, location, token: token, offset: 1000, bytes[1000...] + [1, 2, 3])
            #expect(tooLong.status == .badRequest && errorCode(tooLong) == "exceeds_upload_length")

            #expect(try await Self.create(client, token: token, length: 0).status == .badRequest)
            #expect(try await client.execute(uri: "/api/uploads", method: .post, headers: Self.tusHeaders(token, [.testUploadLength: "-5"])).status == .badRequest)
            #expect(try await client.execute(uri: "/api/uploads", method: .post, headers: Self.tusHeaders(token)).status == .badRequest)
            #expect(try await Self.create(client, token: token, length: 950_000).status == .contentTooLarge)
            #expect(try await Self.create(client, token: token, length: 10, metadata: "title !!!notbase64").status == .badRequest)
            let reserving = try await Self.create(client, token: token, length: 800_000)
            #expect(reserving.status == .created)
            #expect(try await Self.create(client, token: token, length: 200_000).status == .contentTooLarge)  // quota holds the reservation

            let stranger = try await service.auth.token(for: .random())
            #expect(try await client.execute(uri: location, method: .head, headers: Self.tusHeaders(stranger)).status == .notFound)
            #expect(try await Self.patch(client, location, token: stranger, offset: 1000, bytes[1000..<2000]).status == .notFound)
            #expect(try await client.execute(uri: "/api/uploads/../../etc", method: .head, headers: Self.tusHeaders(token)).status == .notFound)
            #expect(try await client.execute(uri: location, method: .head, headers: [.testTus: "1.0.0"]).status == .unauthorized)
        }
    }

    @Test("a text file is refused once its first bytes arrive, and the upload is gone; termination removes the chunks")
    func rejectionAndTermination() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let text = Array(String(repeating: "plain text, not a video. ", count: 400).utf8)
            let created = try await Self.create(client, token: token, length: text.count)
            let location = try #require(created.headers[.location])
            #expect(try await Self.patch(client, location, token: token, offset: 0, text[0..<100]).status == .noContent)  // too few bytes to tell
            let refused = try await Self.patch(client, location, token: token, offset: 100, text[100..<2000])
            #expect(refused.status == .unsupportedMediaType)
            #expect(try await client.execute(uri: location, method: .head, headers: Self.tusHeaders(token)).status == .notFound)
            #expect(service.storage.looseChunkCount == 0)

            let video = fakeMP4(600_000)
            let second = try #require(try await Self.create(client, token: token, length: video.count).headers[.location])
            #expect(try await Self.patch(client, second, token: token, offset: 0, video[0..<300_000]).status == .noContent)
            #expect(service.storage.looseChunkCount == 2)
            #expect(try await client.execute(uri: second, method: .delete, headers: Self.tusHeaders(token)).status == .noContent)
            #expect(service.storage.looseChunkCount == 0)
            #expect(try await client.execute(uri: second, method: .head, headers: Self.tusHeaders(token)).status == .notFound)
        }
    }

    @Test("an upload left unfinished past its expiry answers 410 and the sweep removes it with its chunks")
    func expiry() async throws {
        // A day's expiry, then the clock is moved by editing the stored expiry: no test waits on time.
        let service = try TestUploadService(tusExpiry: .seconds(86400))
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let video = fakeMP4(400_000)
            let location = try #require(try await Self.create(client, token: token, length: video.count).headers[.location])
            #expect(try await Self.patch(client, location, token: token, offset: 0, video[0..<300_000]).status == .noContent)
            #expect(service.storage.looseChunkCount == 2)
            let sweeper = UploadSweeper(dependencies: service.dependencies, interval: .seconds(60), logger: .init(label: "test"))
            await sweeper.sweep()  // nothing expired yet
            #expect(service.storage.looseChunkCount == 2)
            let id = String(location.split(separator: "/").last ?? "")
            service.tusUploads.uploads.withLock { $0[id]?.expiresAt = Date().addingTimeInterval(-1) }
            #expect(try await client.execute(uri: location, method: .head, headers: Self.tusHeaders(token)).status == .gone)
            await sweeper.sweep()
            #expect(service.storage.looseChunkCount == 0)
            #expect(try await client.execute(uri: location, method: .head, headers: Self.tusHeaders(token)).status == .notFound)
        }
    }

    @Test("a final PATCH repeated after success (its answer lost, or sent to another replica) answers 204 with the same video; the source stays")
    func repeatedFinalPatch() async throws {
        let service = try TestUploadService()
        let bytes = fakeMP4(300_000)
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let location = try #require(try await Self.create(client, token: token, length: bytes.count).headers[.location])
            let first = try await Self.patch(client, location, token: token, offset: 0, bytes[0...])
            #expect(first.status == .noContent)
            let videoLocation = try #require(first.headers[.location])
            // The client did not get the answer: it asks where the upload stands and sends the end again.
            let again = try await Self.patch(client, location, token: token, offset: bytes.count, bytes[bytes.count...])
            #expect(again.status == .noContent)
            #expect(again.headers[.location] == videoLocation)
            #expect(again.headers[.testUploadOffset] == String(bytes.count))
            let videoId = try #require(VideoID(String(videoLocation.split(separator: "/").last ?? "")))
            let record = try #require(try await service.repository.record(id: videoId))
            #expect(try await service.storage.source(id: record.sourceFileID) != nil, "the registered video keeps its source")
            #expect(service.storage.bytes(ofFile: record.sourceFileID) == bytes)
        }
    }

    @Test("a failure while hashing the finished upload leaves it resumable (503); the final PATCH sent again registers it")
    func transientCompletionFailure() async throws {
        let service = try TestUploadService()
        let bytes = fakeMP4(300_000)
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let location = try #require(try await Self.create(client, token: token, length: bytes.count).headers[.location])
            service.storage.failingReads.withLock { $0 = 1 }
            let failed = try await Self.patch(client, location, token: token, offset: 0, bytes[0...])
            #expect(failed.status == .serviceUnavailable)
            #expect(errorCode(failed) == "upload_not_finished")
            let head = try await client.execute(uri: location, method: .head, headers: Self.tusHeaders(token))
            #expect(head.status == .ok && head.headers[.testUploadOffset] == String(bytes.count), "every byte is still there")
            let retried = try await Self.patch(client, location, token: token, offset: bytes.count, bytes[bytes.count...])
            #expect(retried.status == .noContent)
            let videoId = try #require(retried.headers[.location].flatMap { VideoID(String($0.split(separator: "/").last ?? "")) })
            let record = try #require(try await service.repository.record(id: videoId))
            #expect(service.storage.bytes(ofFile: record.sourceFileID) == bytes)
        }
    }

    @Test("two requests finishing the same upload at once: one registers it, the other is told to ask again, nothing is deleted")
    func concurrentCompletion() async throws {
        let tusUploads = InMemoryTusUploads()
        let id = "0123456789abcdef0123456789abcdef"
        try await tusUploads.insert(TusUpload(
            id: id, owner: .random(), videoId: .random(), fileID: "f", length: 10, offset: 10, chunkSize: 5, filename: "a.mp4",
            createdAt: Date(), expiresAt: Date().addingTimeInterval(60)))
        #expect(try await tusUploads.beginCompletion(id: id, now: Date(), staleAfter: .seconds(600)) == .claimed)
        #expect(try await tusUploads.beginCompletion(id: id, now: Date(), staleAfter: .seconds(600)) == .inProgress)
        // A replica that died mid-completion: after the lease another takes it over.
        #expect(try await tusUploads.beginCompletion(id: id, now: Date().addingTimeInterval(601), staleAfter: .seconds(600)) == .claimed)
        let video = VideoID.random()
        try await tusUploads.complete(id: id, videoId: video)
        #expect(try await tusUploads.beginCompletion(id: id, now: Date(), staleAfter: .seconds(600)) == .complete(video))
    }
}
