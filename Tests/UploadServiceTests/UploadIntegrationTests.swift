import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MediaStore
import NIOCore
import Redis
import Testing

@testable import UploadService

@Suite("upload-service against SecantusDB and Redis (live HTTP)", .serialized)
struct UploadIntegrationTests {
    @Test("200 MB streamed by curl: stored SHA-256 matches, the job and the event are on Redis")
    func largeUpload() async throws {
        try await LiveUploadService.run { service, client in
            let port = try #require(client.port)
            let user = UserID.random()
            let token = try await service.auth.token(for: user)
            // A real MP4 at the front, then 200 MB of deterministic bytes.
            let path = scratchPath("large.mp4")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let head = try Data(contentsOf: URL(fileURLWithPath: try await ffmpegClip()))
            FileManager.default.createFile(atPath: path, contents: head)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            let block = fakeMP4(8 << 20, seed: 3)
            for _ in 0..<25 { try handle.write(contentsOf: block) }
            try handle.close()
            let expected = try await run("/usr/bin/sha256sum", [path]).split(separator: " ").first.map(String.init)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            #expect(size > 200 << 20)

            let output = try await run("/usr/bin/curl", [
                "-sS", "--fail-with-body", "-X", "POST", "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: video/mp4",
                "-H", "X-Title: Large%20%C3%BCpload", "-H", "Expect:", "-T", path, "http://127.0.0.1:\(port)/api/videos",
            ])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            #expect(json["sha256"] as? String == expected)
            #expect(json["size"] as? Int == size)
            #expect(json["title"] as? String == "Large üpload")
            let id = try #require((json["id"] as? String).flatMap(VideoID.init))

            let record = try #require(try await service.dependencies.repository.record(id: id))
            #expect(record.publishPending == true, "kept until the entries are seen durable")
            let bucket = service.store.bucket(MediaLayout.sourceBucket)
            let sourceID = try #require(ObjectID(record.sourceFileID))
            let file = try #require(try await bucket.file(id: sourceID))
            #expect(file.length == size)
            #expect(try await bucket.chunkCount(id: file.id) == file.chunkCount)

            let jobs = try await service.redis.xrevrange(RedisNames.jobsStream, count: 200)
            let job = jobs.compactMap { $0.fields[RedisNames.messageField].flatMap { try? ClipCutEvent.decode(from: $0) } }
                .first { $0.videoId == id }
            #expect(job?.type == .transcodeRequested)
            let events = try await service.redis.xrevrange(RedisNames.eventsStream, count: 500)
            let uploaded = events.compactMap { $0.fields[RedisNames.messageField].flatMap { try? ClipCutEvent.decode(from: $0) } }
                .first { $0.videoId == id && $0.type == .videoUploaded }
            guard case .videoUploaded(let event)? = uploaded else {
                Issue.record("no video.uploaded event for \(id)")
                return
            }
            #expect(event.payload.sha256 == expected && event.payload.owner == user)
        }
    }

    @Test("a body cut off mid-upload, a text file and an oversized upload leave no chunks and no job")
    func nothingLeftBehind() async throws {
        try await LiveUploadService.run(quotaBytes: 3_000_000) { service, client in
            let port = try #require(client.port)
            let token = try await service.auth.token(for: .random())
            let bytes = fakeMP4(2_000_000)
            let socket = try TestSocket(port: port)
            try socket.send(Array((
                "POST /api/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: video/mp4\r\nContent-Length: \(bytes.count)\r\n\r\n").utf8))
            try socket.send(Array(bytes[0..<900_000]))
            try await Task.sleep(for: .milliseconds(300))
            socket.close()

            // An absurd Content-Length is refused before any byte is read.
            let absurd = try TestSocket(port: port)
            try absurd.send(Array((
                "POST /api/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: video/mp4\r\nContent-Length: 999999999999999\r\n\r\n").utf8))
            let answer = await absurd.response()
            absurd.close()
            #expect(answer.hasPrefix("HTTP/1.1 413"))
            #expect(answer.contains("payload_too_large"))

            let text = Array(String(repeating: "hello world\n", count: 10_000).utf8)
            #expect(try await client.uploadRaw(text, token: token).status == .unsupportedMediaType)
            #expect(try await client.uploadRaw(fakeMP4(3_500_000), token: token).status == .contentTooLarge)
            let chunks = service.store.collection("\(MediaLayout.sourceBucket).chunks")
            let files = service.store.collection("\(MediaLayout.sourceBucket).files")
            // The cut-off upload is aborted when the server notices the closed connection.
            var remaining = try await chunks.count()
            for _ in 0..<600 where remaining > 0 {
                try await Task.sleep(for: .milliseconds(100))
                remaining = try await chunks.count()
            }
            #expect(remaining == 0)
            #expect(try await files.count() == 0)
            #expect(try await service.store.collection("videos").count() == 0)
        }
    }

    @Test("tuspy uploads in small chunks, the connection breaks mid-PATCH, it resumes from HEAD and the video is whole")
    func tusWithInterruption() async throws {
        try await LiveUploadService.run { service, client in
            let port = try #require(client.port)
            let token = try await service.auth.token(for: .random())
            let clip = try await ffmpegClip(seconds: 6, size: "640x360")
            defer { try? FileManager.default.removeItem(atPath: clip) }
            let expected = try await run("/usr/bin/sha256sum", [clip]).split(separator: " ").first.map(String.init)
            let python = try LiveUploadService.environment("CLIPCUT_PYTHON")
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("tus_client.py").path
            let output = try await run(python, [script, "http://127.0.0.1:\(port)", token, clip, "65536"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            let length = try #require(json["length"] as? Int)
            let first = try #require(json["firstOffset"] as? Int)
            let interrupted = try #require(json["interruptedOffset"] as? Int)
            #expect(first > 0 && first < length)
            #expect(interrupted > first, "bytes received before the break were kept")
            #expect(interrupted < length)
            #expect(json["resumedFrom"] as? Int == interrupted)
            #expect(json["finalOffset"] as? Int == length)
            let video = try #require(json["video"] as? [String: Any])
            #expect(video["sha256"] as? String == expected)
            #expect(video["title"] as? String == "Interrupted ünïcode upload")
            #expect(video["filename"] as? String == "interrupted.mp4")
            #expect(video["status"] as? String == "uploaded")
            // Only the completed file's chunks remain.
            let id = try #require((video["id"] as? String).flatMap(VideoID.init))
            let record = try #require(try await service.dependencies.repository.record(id: id))
            let bucket = service.store.bucket(MediaLayout.sourceBucket)
            let sourceID = try #require(ObjectID(record.sourceFileID))
            let file = try #require(try await bucket.file(id: sourceID))
            #expect(try await service.store.collection("\(MediaLayout.sourceBucket).chunks").count() == file.chunkCount)
            #expect(try await bucket.read(id: file.id) == Array(try Data(contentsOf: URL(fileURLWithPath: clip))))
        }
    }

    @Test("ranges of a stored rendition match the source bytes; a browser-shaped request with the playback token gets 206")
    func rangesAndBrowser() async throws {
        try await LiveUploadService.run { service, client in
            let token = try await service.auth.token(for: .random())
            let bytes = fakeMP4(3_000_000, seed: 11)
            let id = try await client.uploadVideo(bytes, token: token)
            // What processing-service would store: the MP4 of a rung under its deterministic name.
            _ = try await service.store.bucket(MediaLayout.mediaBucket).upload(
                filename: MediaLayout.renditionMP4(id, quality: "360p"), bytes: bytes,
                metadata: ["videoId": .string(id.description), "width": 640, "height": 360])
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<20 {
                let start = Int.random(in: 0..<bytes.count, using: &generator)
                let end = min(bytes.count - 1, start + Int.random(in: 0..<600_000, using: &generator))
                let response = try await client.execute(
                    uri: "/api/videos/\(id)/renditions/360p.mp4", method: .get, headers: bearer(token, [.range: "bytes=\(start)-\(end)"]))
                #expect(response.status == .partialContent)
                #expect(Array(response.body.readableBytesView) == Array(bytes[start...end]))
            }
            let playback = try await client.execute(uri: "/api/videos/\(id)/playback", method: .get, headers: bearer(token))
            let url = try #require((decodeJSON(playback)["renditions"] as? [[String: Any]])?.first?["url"] as? String)
            let browser = try await client.execute(uri: url, method: .get, headers: [
                .accept: "*/*", .acceptEncoding: "identity;q=1, *;q=0", .range: "bytes=0-", .referer: "http://localhost/watch",
                .userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36", HTTPField.Name("Sec-Fetch-Dest")!: "video",
            ])
            #expect(browser.status == .partialContent)
            #expect(browser.headers[.contentRange] == "bytes 0-\(bytes.count - 1)/\(bytes.count)")
            #expect(browser.body.readableBytes == bytes.count)
            let listing = try await client.execute(uri: "/api/videos?limit=1", method: .get, headers: bearer(token))
            #expect((decodeJSON(listing)["videos"] as? [[String: Any]])?.first?["id"] as? String == id.description)
            #expect(try await client.execute(uri: "/api/videos/\(id)", method: .delete, headers: bearer(token)).status == .noContent)
            #expect(try await service.store.collection("\(MediaLayout.mediaBucket).chunks").count() == 0)
            #expect(try await service.store.collection("\(MediaLayout.sourceBucket).chunks").count() == 0)
        }
    }
}

extension UploadIntegrationTests {
    @Test("the consumer group `upload` applies lifecycle events from Redis and deletes a deleted user's media")
    func lifecycleConsumer() async throws {
        try await LiveUploadService.run { service, client in
            let user = UserID.random()
            let token = try await service.auth.token(for: user)
            let first = try await client.uploadVideo(fakeMP4(50_000), token: token)
            let second = try await client.uploadVideo(fakeMP4(60_000, seed: 2), token: token)
            _ = try await service.store.bucket(MediaLayout.mediaBucket).upload(
                filename: MediaLayout.poster(first), bytes: [0xFF, 0xD8], metadata: ["videoId": .string(first.description)])
            let consumer = LifecycleEventConsumer(
                redis: service.redis, applier: LifecycleEventApplier(dependencies: service.dependencies),
                consumerName: "test-\(UUID().uuidString.prefix(8))", logger: .init(label: "test"))
            let running = Task { try await consumer.run() }
            defer { running.cancel() }
            func publish(_ message: some ClipCutMessage) async throws {
                try await service.redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: try message.jsonString()])
            }
            try await service.redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: "{not json"])
            try await publish(VideoFailedEvent(videoId: second, reason: "The file is not a video."))
            var failed: Video?
            for _ in 0..<600 {
                failed = try await service.dependencies.repository.record(id: second)?.video
                if failed?.status == .failed { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(failed?.status == .failed && failed?.failureReason == "The file is not a video.")

            try await publish(UserDeletedEvent(userId: user))
            var remaining = 2
            for _ in 0..<600 where remaining > 0 {
                try await Task.sleep(for: .milliseconds(100))
                remaining = try await service.store.collection("videos").count()
            }
            #expect(remaining == 0)
            #expect(try await service.store.collection("\(MediaLayout.mediaBucket).files").count() == 0)
            #expect(try await service.store.collection("\(MediaLayout.sourceBucket).chunks").count() == 0)
            let deleted = try await service.redis.xrevrange(RedisNames.eventsStream, count: 50)
                .compactMap { $0.fields[RedisNames.messageField].flatMap { try? ClipCutEvent.decode(from: $0) } }
                .filter { $0.type == .videoDeleted }.compactMap(\.videoId)
            #expect(Set([first, second]).isSubset(of: Set(deleted)))
        }
    }
}
