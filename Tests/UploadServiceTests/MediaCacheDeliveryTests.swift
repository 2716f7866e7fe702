import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceSupport
import Synchronization
import Testing

@testable import UploadService

@Suite("Media delivery through the cache: the same answers, from disk or the edge, deletion wins (router)")
struct MediaCacheDeliveryTests {
    static let edge: HTTPFields = [HTTPField.Name.clipcutMediaCacheLocation: "/_media-cache/"]

    /// The edge's marker with `extra`.
    static func edge(_ extra: HTTPFields) -> HTTPFields {
        var fields = edge
        fields.append(contentsOf: extra)
        return fields
    }

    /// A service with a cache in a fresh directory, and the directory.
    static func cachedService() throws -> (TestUploadService, String) {
        let root = temporaryCacheRoot()
        return (try TestUploadService(mediaCache: .init(root: root, limitBytes: 64 << 20)), root)
    }

    /// Runs `body` with a cached service, its client, an owner's token and a video with media.
    static func withCachedVideo(
        _ body: @escaping @Sendable (TestUploadService, any TestClientProtocol, String, VideoID, [UInt8], String) async throws -> Void
    ) async throws {
        let (service, root) = try cachedService()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await service.application().test(.router) { client in
            try await waitForCache(service)
            let token = try await service.auth.token(for: .random())
            let (id, rendition) = try await MediaDeliveryTests.videoWithMedia(service, client: client, owner: token)
            try await body(service, client, token, id, rendition, root)
        }
    }

    static func waitForCache(_ service: TestUploadService) async throws {
        while let cache = service.dependencies.mediaCache, await !cache.isRunning { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// Status, the headers a player relies on, and the body.
    static func answer(_ response: TestResponse) -> [String] {
        [String(response.status.code)]
            + [HTTPField.Name.eTag, .lastModified, .cacheControl, .contentType, .contentRange, .acceptRanges, .contentLength]
            .map { "\($0)=\(response.headers[$0] ?? "-")" }
            + [String(response.body.readableBytes), sha256Hex(Array(response.body.readableBytesView))]
    }

    @Test("the first answer (filling) and every later one (from disk) are those of GridFS: whole, ranges, If-Range, 304, HEAD, 416")
    func sameAnswers() async throws {
        let (plain, cached) = (try TestUploadService(), try Self.cachedService())
        defer { try? FileManager.default.removeItem(atPath: cached.1) }
        let answers = Mutex<[[[String]]]>([])
        for service in [plain, cached.0] {
            try await service.application().test(.router) { client in
                try await Self.waitForCache(service)
                let token = try await service.auth.token(for: .random())
                let (id, rendition) = try await MediaDeliveryTests.videoWithMedia(service, client: client, owner: token)
                let uri = "/api/videos/\(id)/renditions/360p.mp4"
                let file = try #require(try await service.storage.mediaFile(named: MediaLayout.renditionMP4(id, quality: "360p")))
                let requests: [(HTTPRequest.Method, HTTPFields)] = [
                    (.get, [:]), (.get, [.range: "bytes=1000-2999"]), (.get, [.range: "bytes=-10"]),
                    (.get, [.range: "bytes=10-20", .ifRange: "\"stale\""]), (.get, [.range: "bytes=10-20", .ifRange: file.entityTag]),
                    (.get, [.ifNoneMatch: file.entityTag]), (.head, [:]), (.get, [.range: "bytes=99999999-"]),
                ]
                var rounds: [[String]] = []
                for _ in 0..<2 {
                    var round: [String] = []
                    for (method, headers) in requests {
                        let response = try await client.execute(uri: uri, method: method, headers: bearer(token, headers))
                        // Each service has its own file ids: compare what does not name them.
                        round += Self.answer(response).map { $0.replacingOccurrences(of: file.id, with: "ID") }
                    }
                    rounds.append(round)
                }
                #expect(rounds[0] == rounds[1])
                let whole = try await client.execute(uri: uri, method: .get, headers: bearer(token))
                #expect(Array(whole.body.readableBytesView) == rendition)
                answers.withLock { $0.append(rounds) }
            }
        }
        let both = answers.withLock { $0 }
        #expect(both.count == 2 && both.first == both.last)
        // The cached service read the rendition from GridFS once, for its copy.
        #expect(cached.0.storage.reads.withLock { $0.values.max() } == 1)
    }

    @Test("through the edge: an empty reply naming the copy, with the head GridFS would give")
    func edgeHandOff() async throws {
        try await Self.withCachedVideo { service, client, token, id, rendition, root in
            let uri = "/api/videos/\(id)/renditions/360p.mp4"
            let file = try #require(try await service.storage.mediaFile(named: MediaLayout.renditionMP4(id, quality: "360p")))
            let direct = try await client.execute(uri: uri, method: .get, headers: bearer(token))
            let handed = try await client.execute(uri: uri, method: .get, headers: bearer(token, Self.edge([.range: "bytes=5-9"])))
            #expect(handed.status == .ok && handed.body.readableBytes == 0)
            let target = try #require(handed.headers[.accelRedirect])
            #expect(target == "/_media-cache/\(id)/\(file.id).\(rendition.count)")
            // Range and Accept-Ranges are nginx's to send for the file (twice would be wrong).
            #expect(handed.headers[.contentRange] == nil && handed.headers[.acceptRanges] == nil)
            for name in [HTTPField.Name.eTag, .lastModified, .cacheControl, .contentType] {
                #expect(handed.headers[name] == direct.headers[name], "\(name)")
            }
            let copy = root + "/objects/" + target.dropFirst("/_media-cache/".count)
            #expect(FileManager.default.contents(atPath: copy).map { [UInt8]($0) } == rendition)
            // The copy's modification time is what Last-Modified says (nginx sends that).
            let modified = try FileManager.default.attributesOfItem(atPath: copy)[.modificationDate] as? Date
            #expect(modified.map { HTTPDate.string(from: $0) } == direct.headers[.lastModified])
            // Conditional answers stay upload-service's own; no hand-off without a copy or for HEAD.
            let notModified = try await client.execute(uri: uri, method: .get, headers: bearer(token, Self.edge([.ifNoneMatch: file.entityTag])))
            #expect(notModified.status == .notModified && notModified.headers[.accelRedirect] == nil)
            let head = try await client.execute(uri: uri, method: .head, headers: bearer(token, Self.edge))
            #expect(head.headers[.accelRedirect] == nil && head.headers[.contentLength] == String(rendition.count))
            // A forged location is no location: the bytes come from upload-service.
            let forged = try await client.execute(uri: uri, method: .get, headers: bearer(token, [HTTPField.Name.clipcutMediaCacheLocation: "/../etc/"]))
            #expect(forged.headers[.accelRedirect] == nil && Array(forged.body.readableBytesView) == rendition)
            // Another user's video stays 404 through the edge too.
            let stranger = try await service.auth.token(for: .random())
            let refused = try await client.execute(uri: uri, method: .get, headers: bearer(stranger, Self.edge))
            #expect(refused.status == .notFound && refused.headers[.accelRedirect] == nil)
        }
    }

    @Test("the playlists of a video that is not ready (still growing) are read from GridFS, never copied; its segments are")
    func growingPlaylistsNotCached() async throws {
        try await Self.withCachedVideo { service, client, token, id, _, _ in
            let cache = try #require(service.dependencies.mediaCache)
            for path in ["master.m3u8", "360p/index.m3u8"] {
                let playlist = try await client.execute(uri: "/api/videos/\(id)/hls/\(path)", method: .get, headers: bearer(token))
                #expect(playlist.status == .ok && String(buffer: playlist.body).hasPrefix("#EXTM3U"))
            }
            #expect(await cache.usage.files == 0, "a growing playlist was copied into the cache")
            _ = try await client.execute(uri: "/api/videos/\(id)/hls/360p/seg_00001.m4s", method: .get, headers: bearer(token))
            #expect(await cache.usage.files == 1)
        }
    }

    @Test("served from memory and disk, the database is asked nothing; a deleted video is 404 at once; a new file is seen at once")
    func lookupsFollowRevisions() async throws {
        try await Self.withCachedVideo { service, client, token, id, _, _ in
            let uri = "/api/videos/\(id)/hls/360p/seg_00001.m4s"
            _ = try await client.execute(uri: uri, method: .get, headers: bearer(token))
            let before = service.repository.recordReads.withLock { $0 }
            for _ in 0..<20 {
                let segment = try await client.execute(uri: uri, method: .get, headers: bearer(token))
                #expect(Array(segment.body.readableBytesView) == [9, 9, 9])
            }
            #expect(service.repository.recordReads.withLock { $0 } == before)

            // processing-service replaces the segment (a retry): the next request has the new bytes.
            _ = try await service.dependencies.storage.storeMedia(named: MediaLayout.hlsFile(id, path: "360p/seg_00001.m4s"), videoId: id, metadata: [:]) {
                try await $0.write(ByteBuffer(bytes: [7, 7]))
            }
            let replaced = try await client.execute(uri: uri, method: .get, headers: bearer(token))
            #expect(Array(replaced.body.readableBytesView) == [7, 7])

            // Redis down: lookups go to the database again, answers stay right.
            service.revisions.unavailable.withLock { $0 = true }
            let withoutRedis = try await client.execute(uri: uri, method: .get, headers: bearer(token))
            #expect(Array(withoutRedis.body.readableBytesView) == [7, 7])
            service.revisions.unavailable.withLock { $0 = false }

            let deleted = try await client.execute(uri: "/api/videos/\(id)", method: .delete, headers: bearer(token))
            #expect(deleted.status == .noContent)
            let gone = try await client.execute(uri: uri, method: .get, headers: bearer(token, Self.edge))
            #expect(gone.status == .notFound && gone.headers[.accelRedirect] == nil)
        }
    }
}
