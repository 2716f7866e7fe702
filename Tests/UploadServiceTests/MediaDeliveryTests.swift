import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import UploadService

@Suite("Media delivery: playback tokens, Range, validators, HLS (router, in-memory)")
struct MediaDeliveryTests {
    /// A video with a 360p rendition, HLS, English captions and a poster stored.
    static func videoWithMedia(_ service: TestUploadService, client: some TestClientProtocol, owner token: String) async throws -> (VideoID, [UInt8]) {
        let id = try await client.uploadVideo(fakeMP4(4000), token: token)
        let rendition = fakeMP4(1_000_000, seed: 42)
        let metadata = ["videoId": id.description]
        service.storage.add(bucket: .media, name: MediaLayout.renditionMP4(id, quality: "360p"), bytes: rendition,
                            metadata: metadata.merging(["width": "640", "height": "360"]) { $1 })
        service.storage.add(bucket: .media, name: MediaLayout.hlsMaster(id), bytes: Array("""
            #EXTM3U
            #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",URI="subs/en.m3u8"
            #EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",SUBTITLES="subs"
            360p/index.m3u8
            """.utf8), metadata: metadata)
        service.storage.add(bucket: .media, name: MediaLayout.hlsFile(id, path: "360p/index.m3u8"), bytes: Array("""
            #EXTM3U
            #EXT-X-MAP:URI="init.mp4"
            #EXTINF:4.0,
            seg_00001.m4s
            #EXT-X-ENDLIST
            """.utf8), metadata: metadata)
        service.storage.add(bucket: .media, name: MediaLayout.hlsFile(id, path: "360p/seg_00001.m4s"), bytes: [9, 9, 9], metadata: metadata)
        service.storage.add(bucket: .media, name: MediaLayout.captions(id, language: "en"), bytes: Array("WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n".utf8), metadata: metadata)
        service.storage.add(bucket: .media, name: MediaLayout.poster(id), bytes: [0xFF, 0xD8, 0xFF], metadata: metadata)
        return (id, rendition)
    }

    @Test("the owner's playback lists every stored rendition, HLS, captions and poster with working token URLs")
    func playbackAndTokens() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let (id, rendition) = try await Self.videoWithMedia(service, client: client, owner: token)
            let playback = try await client.execute(uri: "/api/videos/\(id)/playback", method: .get, headers: bearer(token))
            #expect(playback.status == .ok)
            let json = decodeJSON(playback)
            let renditions = try #require(json["renditions"] as? [[String: Any]])
            #expect(renditions.count == 1)
            #expect(renditions.first?["quality"] as? String == "360p" && renditions.first?["height"] as? Int == 360)
            let mp4URL = try #require(renditions.first?["url"] as? String)
            #expect(mp4URL.hasPrefix("/api/videos/\(id)/renditions/360p.mp4?token="))
            #expect((json["captions"] as? [[String: Any]])?.first?["language"] as? String == "en")
            let hls = try #require(json["hls"] as? String)
            #expect(json["poster"] is String)

            // A <video> element: no Authorization header, only the token in the URL.
            let full = try await client.execute(uri: mp4URL, method: .get, headers: [.accept: "*/*"])
            #expect(full.status == .ok)
            #expect(Array(full.body.readableBytesView) == rendition)
            #expect(full.headers[.acceptRanges] == "bytes")
            #expect(full.headers[.contentType] == "video/mp4")

            let master = try await client.execute(uri: hls, method: .get)
            let text = String(buffer: master.body)
            let playbackToken = try #require(json["token"] as? String)
            #expect(text.contains("360p/index.m3u8?token=\(playbackToken)"))
            #expect(text.contains(#"URI="subs/en.m3u8?token=\#(playbackToken)""#))
            #expect(master.headers[.contentType] == "application/vnd.apple.mpegurl")
            let variant = try await client.execute(uri: "/api/videos/\(id)/hls/360p/index.m3u8?token=\(playbackToken)", method: .get)
            #expect(String(buffer: variant.body).contains("seg_00001.m4s?token=\(playbackToken)"))
            let segment = try await client.execute(uri: "/api/videos/\(id)/hls/360p/seg_00001.m4s?token=\(playbackToken)", method: .get)
            #expect(Array(segment.body.readableBytesView) == [9, 9, 9])
            #expect(segment.headers[.cacheControl]?.contains("immutable") == true)
            let captions = try await client.execute(uri: "/api/videos/\(id)/captions/en.vtt?token=\(playbackToken)", method: .get)
            #expect(String(buffer: captions.body).hasPrefix("WEBVTT"))
            #expect(captions.headers[.contentType] == "text/vtt; charset=utf-8")
        }
    }

    @Test("private videos: other users' tokens and bearer get 404, forged or expired tokens 401; unlisted: anyone with the link")
    func accessControl() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let ownerID = UserID.random()
            let owner = try await service.auth.token(for: ownerID)
            let stranger = UserID.random()
            let strangerToken = try await service.auth.token(for: stranger)
            let (id, _) = try await Self.videoWithMedia(service, client: client, owner: owner)
            let path = "/api/videos/\(id)/renditions/360p.mp4"

            #expect(try await client.execute(uri: path, method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: path, method: .get, headers: bearer(owner)).status == .ok)
            #expect(try await client.execute(uri: path, method: .get, headers: bearer(strangerToken)).status == .notFound)
            #expect(try await client.execute(uri: "/api/videos/\(id)/playback", method: .get, headers: bearer(strangerToken)).status == .notFound)
            #expect(try await client.execute(uri: "/api/videos/\(id)/playback", method: .get).status == .unauthorized)

            let minted = service.dependencies.playbackTokens
            let strangersToken = minted.mint(videoId: id, subject: stranger).token
            #expect(try await client.execute(uri: "\(path)?token=\(strangersToken)", method: .get).status == .notFound)
            let otherVideo = minted.mint(videoId: .random(), subject: ownerID).token
            #expect(try await client.execute(uri: "\(path)?token=\(otherVideo)", method: .get).status == .unauthorized)
            let expired = minted.mint(videoId: id, subject: ownerID, now: Date().addingTimeInterval(-3600)).token
            let expiredResponse = try await client.execute(uri: "\(path)?token=\(expired)", method: .get)
            #expect(expiredResponse.status == .unauthorized && errorCode(expiredResponse) == "invalid_playback_token")
            let valid = minted.mint(videoId: id, subject: ownerID).token
            let forged = String(valid.dropLast(3)) + (valid.hasSuffix("AAA") ? "BBB" : "AAA")
            #expect(try await client.execute(uri: "\(path)?token=\(forged)", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "\(path)?token=\(valid)", method: .get).status == .ok)

            // Unlisted: anyone may ask for playback and use its links.
            _ = try await client.execute(
                uri: "/api/videos/\(id)", method: .patch, headers: bearer(owner, [.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"visibility":"unlisted"}"#))
            let anonymousPlayback = try await client.execute(uri: "/api/videos/\(id)/playback", method: .get)
            #expect(anonymousPlayback.status == .ok)
            let link = try #require((decodeJSON(anonymousPlayback)["renditions"] as? [[String: Any]])?.first?["url"] as? String)
            #expect(try await client.execute(uri: link, method: .get).status == .ok)
            #expect(try await client.execute(uri: "\(path)?token=\(strangersToken)", method: .get).status == .ok)
        }
    }

    @Test("Range: single, open, suffix, 416 past the end, malformed ignored, ETag and If-None-Match, traversal is 404")
    func ranges() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let token = try await service.auth.token(for: .random())
            let (id, bytes) = try await Self.videoWithMedia(service, client: client, owner: token)
            let path = "/api/videos/\(id)/renditions/360p.mp4"
            func get(_ range: String?, _ extra: HTTPFields = [:]) async throws -> TestResponse {
                var headers = bearer(token, extra)
                if let range { headers[.range] = range }
                return try await client.execute(uri: path, method: .get, headers: headers)
            }
            let middle = try await get("bytes=1000-1999")
            #expect(middle.status == .partialContent)
            #expect(middle.headers[.contentRange] == "bytes 1000-1999/\(bytes.count)")
            #expect(Array(middle.body.readableBytesView) == Array(bytes[1000..<2000]))
            let open = try await get("bytes=999990-")
            #expect(Array(open.body.readableBytesView) == Array(bytes[999_990...]))
            let suffix = try await get("bytes=-10")
            #expect(suffix.headers[.contentRange] == "bytes 999990-999999/\(bytes.count)")
            let clipped = try await get("bytes=999999-5000000")
            #expect(clipped.status == .partialContent && clipped.body.readableBytes == 1)

            let past = try await get("bytes=999999999999-")
            #expect(past.status == .rangeNotSatisfiable)
            #expect(past.headers[.contentRange] == "bytes */\(bytes.count)")
            #expect(errorCode(past) == "range_not_satisfiable")
            #expect(try await get("bytes=99999999999999999999999999-").status == .rangeNotSatisfiable)
            for malformed in ["bytes=abc", "bytes=5-1", "items=0-1", "bytes=0-1,5-6", "bytes=--1", "bytes=", "bytes=-0"] {
                let response = try await get(malformed)
                #expect([.ok, .rangeNotSatisfiable].contains(response.status), "\(malformed)")
                if response.status == .ok { #expect(response.body.readableBytes == bytes.count) }
            }

            let probe = try await client.execute(uri: path, method: .head, headers: bearer(token))
            #expect(probe.status == .ok && probe.body.readableBytes == 0)
            #expect(probe.headers[.contentLength] == String(bytes.count))
            #expect(try await client.execute(uri: path, method: .head, headers: bearer(token, [.range: "bytes=5-9"])).headers[.contentRange] == "bytes 5-9/\(bytes.count)")

            let etag = try #require(middle.headers[.eTag])
            let cached = try await get(nil, [.ifNoneMatch: etag])
            #expect(cached.status == .notModified && cached.body.readableBytes == 0)
            #expect(try await get(nil, [.ifNoneMatch: "\"other\""]).status == .ok)
            let staleIfRange = try await get("bytes=0-9", [.ifRange: "\"stale\""])
            #expect(staleIfRange.status == .ok)
            #expect(middle.headers[.lastModified]?.hasSuffix("GMT") == true)

            for traversal in ["renditions/..%2F..%2Fsecret.mp4", "renditions/..mp4", "renditions/720p.exe", "hls/../../etc/passwd",
                              "hls/%2e%2e/master.m3u8", "captions/../poster.vtt", "captions/EN.vtt", "renditions/1080p.mp4"] {
                let response = try await client.execute(uri: "/api/videos/\(id)/\(traversal)", method: .get, headers: bearer(token))
                #expect(response.status == .notFound, "\(traversal)")
            }
        }
    }
}
