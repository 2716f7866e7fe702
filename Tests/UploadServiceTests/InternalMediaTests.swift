import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

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

            let path = "/internal/videos/\(id)/media/720p/video.mp4"
            #expect(try await client.execute(uri: path + "?quality=720p&width=1280&height=720", method: .put, headers: auth,
                                             body: ByteBuffer(bytes: [1, 2, 3])).status == .created)
            #expect(try await client.execute(uri: path, method: .put, headers: auth, body: ByteBuffer(bytes: [4, 5])).status == .created)
            let stored = try await service.storage.mediaFiles(of: id)
            #expect(stored.count == 1 && stored.first?.name == MediaLayout.renditionMP4(id, quality: "720p") && stored.first?.length == 2)
            #expect(Array(try await client.execute(uri: path, method: .get, headers: auth).body.readableBytesView) == [4, 5])

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
