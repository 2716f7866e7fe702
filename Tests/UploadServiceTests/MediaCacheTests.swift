import ClipCutCore
import Foundation
import Logging
import Testing

@testable import UploadService

/// Runs a ``MediaCache`` over `storage` in `root` for the length of `body`.
func withMediaCache(
    _ storage: InMemoryMediaStorage, root: String, limit: Int = 1 << 30, waitLimit: Int = 32 << 20,
    _ body: (MediaCache) async throws -> Void
) async throws {
    let cache = MediaCache(
        options: .init(root: root, limitBytes: limit, waitLimitBytes: waitLimit), storage: storage, logger: Logger(label: "cache-test"))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await cache.run() }
        while await !cache.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        do {
            try await body(cache)
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}

/// A fresh directory for one test's cache.
func temporaryCacheRoot() -> String {
    NSTemporaryDirectory() + "clipcut-cache-test-" + UUID().uuidString
}

@Suite("The media cache: one fetch per file, verified copies, bounded, kept across restarts")
struct MediaCacheTests {
    let storage = InMemoryMediaStorage()
    let video = VideoID.random()

    func media(_ name: String, _ bytes: [UInt8], digest: String? = nil) -> StoredFile {
        storage.add(bucket: .media, name: "\(video)/\(name)", bytes: bytes,
                    metadata: ["videoId": video.description, "sha256": digest ?? sha256Hex(bytes)])
    }

    func contents(_ path: String?) -> [UInt8]? {
        path.flatMap { FileManager.default.contents(atPath: $0) }.map { [UInt8]($0) }
    }

    @Test("fifty viewers at once: one read of GridFS, one copy, the same bytes for all")
    func singleFlight() async throws {
        let bytes = fakeMP4(3 << 20, seed: 3)
        let file = media("hls-720p/seg_00001.m4s", bytes)
        let root = temporaryCacheRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await withMediaCache(storage, root: root) { cache in
            let paths = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<50 { group.addTask { await cache.copy(of: file, videoId: video) } }
                return await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(Set(paths).count == 1 && paths.first! != nil)
            #expect(storage.reads.withLock { $0[file.id] } == 1)
            #expect(contents(paths.first!) == bytes)
            #expect(await cache.usage.bytes == bytes.count)
            // Later readers: from disk, still one read.
            #expect(await cache.copy(of: file, videoId: video) == paths.first!)
            #expect(storage.reads.withLock { $0[file.id] } == 1)
        }
    }

    @Test("a copy whose SHA-256 differs from the stored one is not kept, nor fetched again")
    func verified() async throws {
        let file = media("poster.jpg", [1, 2, 3, 4], digest: String(repeating: "0", count: 64))
        let root = temporaryCacheRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await withMediaCache(storage, root: root) { cache in
            #expect(await cache.copy(of: file, videoId: video) == nil)
            #expect(await cache.copy(of: file, videoId: video) == nil)
            #expect(storage.reads.withLock { $0[file.id] } == 1)
            let left = try FileManager.default.subpathsOfDirectory(atPath: root + "/objects").filter { !$0.hasSuffix(video.description) }
            #expect(left.isEmpty, "\(left)")
        }
    }

    @Test("sources are never cached")
    func noSources() async throws {
        let source = storage.add(bucket: .sources, name: "clip.mp4", bytes: fakeMP4(1000), metadata: ["videoId": video.description])
        let root = temporaryCacheRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await withMediaCache(storage, root: root) { cache in
            #expect(await cache.copy(of: source, videoId: video) == nil)
            #expect(storage.reads.withLock { $0[source.id] } == nil)
        }
    }

    @Test("a large file is read from GridFS while its copy is made, then served from the copy")
    func largeInBackground() async throws {
        let bytes = fakeMP4(2 << 20, seed: 9)
        let file = media("720p.mp4", bytes)
        let root = temporaryCacheRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await withMediaCache(storage, root: root, waitLimit: 1 << 20) { cache in
            #expect(await cache.copy(of: file, videoId: video) == nil)
            var path: String?
            for _ in 0..<6000 where path == nil {
                path = await cache.cachedCopy(of: file, videoId: video)
                if path == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(contents(path) == bytes)
        }
    }

    @Test("bounded: past the limit the least recently used copy is deleted from disk")
    func bounded() async throws {
        let files = (1...3).map { media("hls-360p/seg_0000\($0).m4s", fakeMP4(1000, seed: UInt8($0))) }
        let root = temporaryCacheRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await withMediaCache(storage, root: root, limit: 2500) { cache in
            let first = try #require(await cache.copy(of: files[0], videoId: video))
            _ = await cache.copy(of: files[1], videoId: video)
            _ = await cache.copy(of: files[2], videoId: video)
            #expect(!FileManager.default.fileExists(atPath: first))
            #expect(await cache.usage == (2000, 2))
        }
    }

    @Test("kept across a restart: copies found again without a read; a damaged one is dropped")
    func restart() async throws {
        let kept = media("hls-360p/seg_00001.m4s", fakeMP4(5000, seed: 1))
        let damaged = media("hls-360p/seg_00002.m4s", fakeMP4(5000, seed: 2))
        let root = temporaryCacheRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var damagedPath = ""
        try await withMediaCache(storage, root: root) { cache in
            _ = await cache.copy(of: kept, videoId: video)
            damagedPath = try #require(await cache.copy(of: damaged, videoId: video))
        }
        // Cut short behind the cache's back, and an unfinished copy left over.
        try Data(fakeMP4(100)).write(to: URL(fileURLWithPath: damagedPath))
        try Data([1]).write(to: URL(fileURLWithPath: root + "/objects/\(video)/.tmp-interrupted"))
        try await withMediaCache(storage, root: root) { cache in
            #expect(await cache.usage == (5000, 1))
            #expect(contents(await cache.cachedCopy(of: kept, videoId: video)) == fakeMP4(5000, seed: 1))
            #expect(await cache.cachedCopy(of: damaged, videoId: video) == nil)
            #expect(storage.reads.withLock { $0[kept.id] } == 1)
            #expect(!FileManager.default.fileExists(atPath: root + "/objects/\(video)/.tmp-interrupted"))
        }
    }

    @Test("a video's copies go when it is purged")
    func purge() async throws {
        let file = media("poster.jpg", [0xFF, 0xD8, 0xFF])
        let root = temporaryCacheRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await withMediaCache(storage, root: root) { cache in
            _ = try #require(await cache.copy(of: file, videoId: video))
            await cache.purge(video)
            #expect(!FileManager.default.fileExists(atPath: root + "/objects/\(video)"))
            #expect(await cache.usage == (0, 0))
        }
    }

    @Test("a disk that takes no copies costs nothing but the copy: nil, and the cache goes on")
    func unwritable() async throws {
        let file = media("poster.jpg", [0xFF, 0xD8, 0xFF])
        let blocker = temporaryCacheRoot()
        defer { try? FileManager.default.removeItem(atPath: blocker) }
        try Data([0]).write(to: URL(fileURLWithPath: blocker))  // a file where the directory should be
        try await withMediaCache(storage, root: blocker + "/cache") { cache in
            #expect(await cache.copy(of: file, videoId: video) == nil)
            #expect(await cache.copy(of: file, videoId: video) == nil)
            #expect(await cache.isRunning)
        }
    }
}
