import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

import ServiceSupport

@testable import UploadService

@Suite("Internal media routes for processing-service (router, in-memory)")
struct InternalMediaTests {
    @Test("video fields, the source, store/read/replace/delete derived media; traversal and unknown ids are 404; a wrong service token is 401")
    func internalRoutes() async throws {
        let service = try TestUploadService()
        var dependencies = service.dependencies
        dependencies.serviceToken = "internal-secret"
        let app = Application(router: buildRouter(dependencies: dependencies, metricsRegistry: .init()))
        try await app.test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let source = fakeMP4(5000)
            let id = try await client.uploadVideo(source, token: token)
            let auth: HTTPFields = [.authorization: "Bearer internal-secret"]

            #expect(try await client.execute(uri: "/internal/videos/\(id)", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/internal/videos/\(id)", method: .get, headers: [.authorization: "Bearer wrong-secret!"]).status == .unauthorized)
            let video = try await client.execute(uri: "/internal/videos/\(id)", method: .get, headers: auth)
            #expect(decodeJSON(video)["status"] as? String == "uploaded" && decodeJSON(video)["burnSubtitles"] as? Bool == false)
            let sourceBytes = try await client.execute(uri: "/internal/videos/\(id)/source", method: .get, headers: auth)
            #expect(Array(sourceBytes.body.readableBytesView) == source)
            #expect(decodeJSON(video)["container"] as? String == "mp4", "processing forces the demuxer from it")

            // A source grant opens this source alone, without the token, until it expires; byte ranges work.
            let videoId = id
            let grant = SourceGrant(videoId: videoId, lifetime: .seconds(60), token: "internal-secret")
            let granted = "\(InternalMediaContract.grantedSourcePath(videoId))?\(grant.query)"
            #expect(Array(try await client.execute(uri: granted, method: .get).body.readableBytesView) == source)
            let ranged = try await client.execute(uri: granted, method: .get, headers: [.range: "bytes=10-19"])
            #expect(ranged.status == .partialContent && Array(ranged.body.readableBytesView) == Array(source[10..<20]))
            let otherVideo = SourceGrant(videoId: .random(), lifetime: .seconds(60), token: "internal-secret")
            let expired = SourceGrant(videoId: videoId, lifetime: .seconds(60), token: "internal-secret", now: Date(timeIntervalSinceNow: -120))
            let forged = SourceGrant(videoId: videoId, lifetime: .seconds(60), token: "wrong-secret!!!")
            for query in [otherVideo.query, expired.query, forged.query, "", "expires=99999999999&grant=", "expires=x&grant=\(grant.signature)"] {
                let refused = try await client.execute(uri: "\(InternalMediaContract.grantedSourcePath(videoId))?\(query)", method: .get)
                #expect(refused.status == .unauthorized, "\(query)")
            }

            let path = "/internal/videos/\(id)/media/720p/video.mp4"
            #expect(try await client.execute(uri: path + "?quality=720p&width=1280&height=720", method: .put, headers: auth,
                                             body: ByteBuffer(bytes: [1, 2, 3])).status == .created)
            #expect(try await client.execute(uri: path, method: .put, headers: auth, body: ByteBuffer(bytes: [4, 5])).status == .created)
            let stored = try await service.storage.mediaFiles(of: id)
            #expect(stored.count == 1 && stored.first?.name == MediaLayout.renditionMP4(id, quality: "720p") && stored.first?.length == 2)
            #expect(Array(try await client.execute(uri: path, method: .get, headers: auth).body.readableBytesView) == [4, 5])
            // A media grant opens that one file without the token; not another file, not the source.
            let fileGrant = SourceGrant(videoId: id, path: "720p/video.mp4", lifetime: .seconds(60), token: "internal-secret")
            let grantedFile = "\(InternalMediaContract.grantedMediaPath(id, path: "720p/video.mp4"))?\(fileGrant.query)"
            #expect(Array(try await client.execute(uri: grantedFile, method: .get).body.readableBytesView) == [4, 5])
            for refusedURI in [
                "\(InternalMediaContract.grantedMediaPath(id, path: "720p/video.mp4"))?\(grant.query)",  // the source's grant
                "\(InternalMediaContract.grantedMediaPath(id, path: "480p/video.mp4"))?\(fileGrant.query)",  // another file
                "\(InternalMediaContract.grantedSourcePath(id))?\(fileGrant.query)",  // the source
                InternalMediaContract.grantedMediaPath(id, path: "720p/video.mp4"),
            ] {
                #expect(try await client.execute(uri: refusedURI, method: .get).status == .unauthorized, "\(refusedURI)")
            }

            for bad in ["/internal/videos/\(id)/media/../../etc/passwd", "/internal/videos/\(id)/media/a/b/c/d/e",
                        "/internal/videos/\(VideoID.random())/media/720p/video.mp4", "/internal/videos/not-an-id"] {
                #expect(try await client.execute(uri: bad, method: .get, headers: auth).status == .notFound, "\(bad)")
            }
            #expect(try await client.execute(uri: "/internal/videos/\(id)/media", method: .delete, headers: auth).status == .noContent)
            #expect(try await service.storage.mediaFiles(of: id).isEmpty)
            #expect(try await client.execute(uri: path, method: .get, headers: auth).status == .notFound)
        }
    }
}

extension InternalMediaTests {
    @Test("the language spoken, named on upload (header, form field or tus metadata), reaches processing; a bad code is 400; detect means none")
    func speechLanguage() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            func upload(_ extra: HTTPFields) async throws -> TestResponse {
                var headers: HTTPFields = [.contentType: "video/mp4"]
                headers.append(contentsOf: extra)
                return try await client.execute(
                    uri: "/api/videos", method: .post, headers: bearer(token, headers), body: ByteBuffer(bytes: fakeMP4(4000)))
            }
            let spanish = try await upload([.clipcutLanguage: "es"])
            #expect(spanish.status == .created)
            let id = try #require((decodeJSON(spanish)["id"] as? String).flatMap(VideoID.init))
            let processing = try await client.execute(uri: "/internal/videos/\(id)", method: .get)
            #expect(decodeJSON(processing)["speechLanguage"] as? String == "es")

            let detect = try await upload([.clipcutLanguage: "detect"])
            let detected = try #require((decodeJSON(detect)["id"] as? String).flatMap(VideoID.init))
            #expect(decodeJSON(try await client.execute(uri: "/internal/videos/\(detected)", method: .get))["speechLanguage"] == nil)

            let bad = try await upload([.clipcutLanguage: "klingon"])
            #expect(bad.status == .badRequest && errorCode(bad) == "invalid_language")

            // tus: Upload-Metadata `language`.
            let bytes = fakeMP4(3000)
            let created = try await TusRouteTests.create(client, token: token, length: bytes.count, metadata: "language \(Data("pt".utf8).base64EncodedString())")
            let location = try #require(created.headers[.location])
            let done = try await TusRouteTests.patch(client, location, token: token, offset: 0, bytes[...])
            let tusVideo = try #require(done.headers[.clipcutVideoID].flatMap(VideoID.init))
            #expect(decodeJSON(try await client.execute(uri: "/internal/videos/\(tusVideo)", method: .get))["speechLanguage"] as? String == "pt")
            let refused = try await TusRouteTests.create(client, token: token, length: 10, metadata: "language \(Data("xx".utf8).base64EncodedString())")
            #expect(refused.status == .badRequest && errorCode(refused) == "invalid_language")
        }
    }
}

