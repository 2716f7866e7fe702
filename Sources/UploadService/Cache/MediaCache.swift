import ClipCutCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Metrics
import NIOPosix
import ServiceLifecycle
import _NIOFileSystem

/// A local disk cache in front of GridFS for the media processing-service wrote (renditions,
/// segments, playlists, captions, images; never sources), so that a file read by many viewers is
/// fetched from the database once.
///
/// - Files live under `<root>/objects/<videoId>/<fileId>.<length>`: GridFS never changes a file's
///   bytes under its id, so a name means one content for ever, and the length is checked again
///   whenever a copy is served or found at start.
/// - Filled on the first read, one fetch per file however many viewers ask at once
///   (single-flight): a small file's readers wait for it; a large one's read GridFS meanwhile.
/// - Each copy is written aside and appears under its name only once its length and SHA-256
///   (stored with the file since [16]) match; what was cached survives a restart.
/// - Bounded by `limit` bytes, least recently used first out.
/// - A failing disk (full, read-only) costs nothing but speed: the reader is served from GridFS
///   and the failure is logged once.
///
/// A `Service`: fills run in its task group; until it runs, nothing is cached or served from it.
actor MediaCache: Service {
    /// What to cache, where, and how much.
    struct Options: Sendable {
        /// The cache's directory.
        var root: String
        /// Bytes the cached files may take.
        var limitBytes: Int
        /// Files up to this size are cached before the first reader is served; larger ones are
        /// read from GridFS while their copy is made.
        var waitLimitBytes: Int = 32 << 20
        /// Files copied at once.
        var concurrentFills: Int = 2
    }

    private struct Fill: Sendable {
        var key: String
        var file: StoredFile
        var videoId: VideoID
    }

    nonisolated let options: Options
    /// `clipcut_media_cache_requests_total{outcome}`: media requests answered from a copy by
    /// upload-service (`hit`), handed to the edge (`edge`), or from GridFS (`miss`).
    nonisolated let requests: (hit: Counter, edge: Counter, miss: Counter)
    private let storage: any MediaStorage
    private let logger: Logger
    private var index: MediaCacheIndex
    private var running = false
    private var filling: Set<String> = []
    private var waiting: [String: [CheckedContinuation<String?, Never>]] = [:]
    /// Fills whose video was purged while they ran: their copies are thrown away.
    private var abandoned: Set<String> = []
    private var writeFailing = false
    /// Files whose copy did not match them: served from GridFS, not fetched again for a copy.
    private var unverifiable: Set<String> = []
    private let fills: AsyncStream<Fill>
    private let fillRequests: AsyncStream<Fill>.Continuation

    init(options: Options, storage: any MediaStorage, logger: Logger) {
        self.options = options
        self.storage = storage
        self.logger = logger
        self.index = MediaCacheIndex(limit: options.limitBytes)
        let label = "clipcut_media_cache_requests_total"
        requests = (Counter(label: label, dimensions: [("outcome", "hit")]), Counter(label: label, dimensions: [("outcome", "edge")]),
                    Counter(label: label, dimensions: [("outcome", "miss")]))
        (fills, fillRequests) = AsyncStream.makeStream(of: Fill.self)
    }

    nonisolated var objectsDirectory: String { options.root + "/objects" }

    /// Where the copy named `key` lives.
    nonisolated func path(of key: String) -> String { objectsDirectory + "/" + key }

    /// Bytes cached now, and how many files.
    var usage: (bytes: Int, files: Int) { (index.totalBytes, index.entries.count) }

    /// Whether copies are made and served (from when ``run()`` has loaded the index until it ends).
    var isRunning: Bool { running }

    /// The cached copy of `file` if there is one (and it still has its length); marks it used.
    func cachedCopy(of file: StoredFile, videoId: VideoID) async -> String? {
        guard running, file.bucket == .media else { return nil }
        let key = MediaCacheIndex.key(videoId: videoId, fileId: file.id, length: file.length)
        guard index.use(key) != nil else { return nil }
        let path = path(of: key)
        // A stat of a local file, asked on every read: too short to be worth a thread hop.
        var status = stat()
        guard stat(path, &status) == 0, Int64(status.st_size) == Int64(file.length) else {
            // Gone or changed behind the cache's back: forget it, read GridFS.
            index.remove(key)
            logger.warning("cached media copy lost or changed; dropped", metadata: ["file": "\(key)"])
            _ = try? await FileSystem.shared.removeItem(at: FilePath(path), recursively: false)
            return nil
        }
        return path
    }

    /// The cached copy of `file`, made now if there is none: the first reader of a small file
    /// waits for the one copy every concurrent reader waits for; a large file's copy is made in
    /// the background and `nil` returned (read GridFS meanwhile). `nil` too when the file cannot
    /// be cached (a source, larger than the cache, a failing disk).
    func copy(of file: StoredFile, videoId: VideoID) async -> String? {
        if let hit = await cachedCopy(of: file, videoId: videoId) { return hit }
        guard running, file.bucket == .media, index.admits(size: file.length) else { return nil }
        let key = MediaCacheIndex.key(videoId: videoId, fileId: file.id, length: file.length)
        if index.entries[key] != nil { return path(of: key) }  // filled while this reader checked the disk
        guard !unverifiable.contains(key) else { return nil }
        if filling.insert(key).inserted { fillRequests.yield(Fill(key: key, file: file, videoId: videoId)) }
        guard file.length <= options.waitLimitBytes else { return nil }
        return await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    /// Deletes every cached file of a video (deleted, or its user was).
    func purge(_ videoId: VideoID) async {
        for key in filling where key.hasPrefix("\(videoId)/") { abandoned.insert(key) }
        let keys = index.removeAll(of: videoId)
        let directory = objectsDirectory + "/\(videoId)"
        if (try? await FileSystem.shared.info(forFileAt: FilePath(directory))) != nil {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(directory), recursively: true)
        }
        if !keys.isEmpty { logger.debug("media cache purged a video", metadata: ["videoId": "\(videoId)", "files": "\(keys.count)"]) }
    }

    /// Loads what is on disk, then makes the copies asked for until graceful shutdown.
    func run() async throws {
        await load()
        running = true
        await withTaskGroup(of: Void.self) { group in
            var active = 0
            for await fill in fills.cancelOnGracefulShutdown() {
                if active >= max(1, options.concurrentFills) {
                    await group.next()
                    active -= 1
                }
                group.addTask { await self.make(fill) }
                active += 1
            }
            group.cancelAll()
        }
        running = false
        for key in Array(waiting.keys) { finish(key, path: nil) }
    }

    // MARK: Filling

    /// Copies one file from GridFS (off the actor), then records it.
    private nonisolated func make(_ fill: Fill) async {
        let path = path(of: fill.key)
        do {
            try await FileSystem.shared.createDirectory(at: FilePath(objectsDirectory + "/\(fill.videoId)"), withIntermediateDirectories: true)
            try await MediaCacheCopy.write(fill.file, from: storage, to: path)
            await filled(fill, path: path, error: nil)
        } catch {
            await filled(fill, path: nil, error: error)
        }
    }

    private func filled(_ fill: Fill, path: String?, error: (any Error)?) async {
        filling.remove(fill.key)
        if abandoned.remove(fill.key) != nil {
            if let path { _ = try? await FileSystem.shared.removeItem(at: FilePath(path), recursively: false) }
            return finish(fill.key, path: nil)
        }
        guard let path else {
            report(error, fill)
            return finish(fill.key, path: nil)
        }
        if writeFailing {
            writeFailing = false
            logger.notice("media cache is writing again")
        }
        for evicted in index.insert(fill.key, videoId: fill.videoId, size: fill.file.length) {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(self.path(of: evicted)), recursively: false)
        }
        finish(fill.key, path: index.entries[fill.key] == nil ? nil : path)
    }

    private func finish(_ key: String, path: String?) {
        for waiter in waiting.removeValue(forKey: key) ?? [] { waiter.resume(returning: path) }
    }

    /// A copy that did not verify is a warning each time; a disk that cannot take copies is
    /// logged once until a copy succeeds again. Readers are served from GridFS either way.
    private func report(_ error: (any Error)?, _ fill: Fill) {
        if let mismatch = error as? MediaCacheCopy.Mismatch {
            if unverifiable.count >= 10_000 { unverifiable.removeAll() }
            unverifiable.insert(fill.key)
            logger.warning("media copy did not verify; not cached", metadata: ["file": "\(fill.key)", "problem": "\(mismatch)"])
        } else if error is CancellationError {
            return
        } else if !writeFailing {
            writeFailing = true
            logger.error("media cache cannot write; serving from GridFS", metadata: ["root": "\(options.root)", "error": "\(String(describing: error))"])
        }
    }

    // MARK: Start

    /// Adopts the copies a previous run left (those whose size is the length their name
    /// promises), deletes the rest and unfinished copies, and evicts down to the limit.
    private func load() async {
        let root = options.root
        let found: [(key: String, size: Int, modified: Double)]
        do {
            found = try await NIOThreadPool.singleton.runIfActive { try MediaCacheCopy.scan(root: root) }
        } catch {
            logger.error("media cache directory unusable; serving from GridFS", metadata: ["root": "\(root)", "error": "\(error)"])
            writeFailing = true
            return
        }
        for (order, item) in found.sorted(by: { $0.modified < $1.modified }).enumerated() {
            guard let (videoId, length) = MediaCacheIndex.parse(item.key), length == item.size else {
                _ = try? await FileSystem.shared.removeItem(at: FilePath(path(of: item.key)), recursively: false)
                continue
            }
            index.adopt(item.key, videoId: videoId, size: item.size, order: UInt64(order + 1))
        }
        for evicted in index.evictToFit() {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(path(of: evicted)), recursively: false)
        }
        logger.info("media cache ready", metadata: [
            "root": "\(root)", "files": "\(index.entries.count)", "bytes": "\(index.totalBytes)", "limit": "\(index.limit)",
        ])
    }
}

extension ConfigKey {
    /// upload-service: where the media cache keeps its copies.
    static let mediaCacheDirectory = ConfigKey(
        "CLIPCUT_MEDIA_CACHE_DIR",
        summary: "upload-service: directory of the local media cache, kept across restarts (default: media-cache in CLIPCUT_DATA_DIR; an emptyDir in Kubernetes).")
    /// upload-service: how many bytes the media cache may hold.
    static let mediaCacheBytes = ConfigKey(
        "CLIPCUT_MEDIA_CACHE_BYTES", summary: "upload-service: bytes the local media cache may hold, least recently used out first (0: no cache).",
        defaultValue: "2147483648")
}
