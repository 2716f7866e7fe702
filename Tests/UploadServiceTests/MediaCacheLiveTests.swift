import ClipCutCore
import Foundation
import Logging
import NIOCore
import Redis
import Testing

@testable import UploadService

@Suite("The media cache against the real servers: SHA-256 stored with media, deletions purge every replica's copies", .serialized)
struct MediaCacheLiveTests {
    @Test("media stored in GridFS carries the SHA-256 of its bytes; the cache verifies its copy against it")
    func digestStored() async throws {
        try await LiveUploadService.run { service, _ in
            let video = VideoID.random()
            let bytes = fakeMP4(700_000, seed: 5)
            let (_, stored) = try await service.dependencies.storage.storeMedia(
                named: MediaLayout.hlsFile(video, path: "hls-360p/seg_00000.m4s"), videoId: video, metadata: ["sha256": "forged"]
            ) { sink in
                try await sink.write(ByteBuffer(bytes: bytes.prefix(300_000)))
                try await sink.write(ByteBuffer(bytes: bytes.dropFirst(300_000)))
            }
            let found = try #require(try await service.dependencies.storage.mediaFile(named: stored.name))
            #expect(found.digest == sha256Hex(bytes))
        }
    }

    /// Two replicas' caches, each with its invalidator on the real Redis: a `video.deleted`
    /// appended to `clipcut:events` purges the video's copies from both, and a replica that was
    /// stopped while it happened purges them when it starts again.
    @Test("video.deleted purges the copies of every replica, also one that was stopped meanwhile")
    func deletionPurgesEveryReplica() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try LiveUploadService.environment("CLIPCUT_REDIS_URL")))
        let storage = InMemoryMediaStorage()
        let (kept, deleted, later) = (VideoID.random(), VideoID.random(), VideoID.random())
        let files = [kept, deleted, later].map { video in
            (video, storage.add(bucket: .media, name: "\(video)/poster.jpg", bytes: [0xFF, 0xD8, UInt8.random(in: 0...255)],
                                metadata: ["videoId": video.description]))
        }
        let roots = [temporaryCacheRoot(), temporaryCacheRoot()]
        defer { for root in roots { try? FileManager.default.removeItem(atPath: root) } }
        // Both replicas start reading the stream where it ends now, as if they had run before:
        // a first start reads from `$`, and could miss an event appended before its first read.
        let end = try await redis.xrevrange(RedisNames.eventsStream, count: 1).first?.id ?? "0-0"
        for root in roots {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try Data(end.utf8).write(to: URL(fileURLWithPath: root + "/events-position"))
        }
        func exists(_ root: String, _ video: VideoID) -> Bool { FileManager.default.fileExists(atPath: root + "/objects/\(video)") }
        func announce(_ video: VideoID) async throws {
            let json = String(decoding: try ClipCutEvent.videoDeleted(VideoDeletedEvent(videoId: video, owner: .random())).encoded(), as: UTF8.self)
            try await redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: json])
        }
        func replicas(_ roots: [String], _ body: ([MediaCache]) async throws -> Void) async throws {
            let caches = roots.map { MediaCache(options: .init(root: $0, limitBytes: 1 << 20), storage: storage, logger: Logger(label: "replica")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for cache in caches {
                    group.addTask { try await cache.run() }
                    group.addTask { try await MediaCacheInvalidator(redis: redis, cache: cache, logger: Logger(label: "replica")).run() }
                }
                for cache in caches { while await !cache.isRunning { try await Task.sleep(for: .milliseconds(5)) } }
                do { try await body(caches) } catch {
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
        }
        func waitUntil(_ condition: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        }

        try await replicas(roots) { caches in
            for cache in caches { for (video, file) in files { _ = try #require(await cache.copy(of: file, videoId: video)) } }
            try await announce(deleted)
            try await waitUntil { !roots.contains { exists($0, deleted) } }
            #expect(!roots.contains { exists($0, deleted) })
            #expect(roots.allSatisfy { exists($0, kept) && exists($0, later) })
        }
        // Replica 2 is down when `later` is deleted; replica 1 purges at once, replica 2 on its return.
        try await replicas([roots[0]]) { _ in
            try await announce(later)
            try await waitUntil { !exists(roots[0], later) }
        }
        #expect(!exists(roots[0], later) && exists(roots[1], later))
        try await replicas([roots[1]]) { _ in
            try await waitUntil { !exists(roots[1], later) }
        }
        #expect(!exists(roots[1], later) && exists(roots[1], kept))
        await redis.shutdown()
    }
}
