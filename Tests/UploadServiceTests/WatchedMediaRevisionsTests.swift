import ClipCutCore
import Foundation
import Logging
import Redis
import Testing

@testable import UploadService

/// Two replicas' revision watchers on the real Redis, each with a client of its own, on a channel
/// of the test's own. A revision written straight into Redis (no announcement) shows whether an
/// answer came from memory or from a `GET`.
@Suite("Media revisions kept in memory while Redis pushes their changes", .serialized)
struct WatchedMediaRevisionsTests {
    struct Replicas {
        let redis: [RedisClient]
        let watchers: [WatchedMediaRevisions]
        let raw: RedisClient

        /// Sets the video's revision behind the watchers' backs.
        func write(_ video: VideoID, _ value: String) async throws {
            _ = try await raw.set(RedisNames.mediaRevision(video), to: value)
        }
    }

    /// Watchers that stay trusting however slow the machine: memory is trusted for 30 s after
    /// the last ping (a slow ping would otherwise turn a remembered answer into a `GET`).
    static var patient: WatchedMediaRevisions.Timing {
        var timing = WatchedMediaRevisions.Timing()
        timing.staleness = .seconds(30)
        timing.reconnectAfter = .seconds(60)
        return timing
    }

    static func replicas(
        count: Int = 2, timing: WatchedMediaRevisions.Timing = patient, _ body: (Replicas) async throws -> Void
    ) async throws {
        let url = try LiveUploadService.environment("CLIPCUT_REDIS_URL")
        let channel = "test:media-revisions:\(UUID().uuidString)"
        let clients = try (0...count).map { _ in RedisClient(configuration: try RedisConfiguration(url: url)) }
        let watchers = (0..<count).map { WatchedMediaRevisions(redis: clients[$0], channel: channel, timing: timing, logger: Logger(label: "replica \($0)")) }
        let replicas = Replicas(redis: Array(clients.prefix(count)), watchers: watchers, raw: clients[count])
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for watcher in watchers { group.addTask { try await watcher.run() } }
                defer { group.cancelAll() }
                for watcher in watchers { try await waitUntil { watcher.isListening && watcher.livePeers.count == count - 1 } }
                try await body(replicas)
            }
        } catch {
            for client in clients { await client.shutdown() }
            throw error
        }
        for client in clients { await client.shutdown() }
    }

    static func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw WaitTimedOut() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Reads `video` through `watcher` until the answer is remembered: Redis then holds
    /// `behind`, written behind its back, and the watcher still answers `value`.
    static func remember(_ video: VideoID, _ value: String, in watcher: WatchedMediaRevisions, behind: String, _ replicas: Replicas) async throws {
        try await waitUntil {
            try await replicas.write(video, value)
            guard try await watcher.current(video) == value else { return false }
            try await replicas.write(video, behind)
            return try await watcher.current(video) == value
        }
    }

    @Test("a revision read once is answered from memory; a bump returns once every replica has forgotten the video, and only that video")
    func rememberedUntilAnnounced() async throws {
        try await Self.replicas { replicas in
            let (one, two) = (replicas.watchers[0], replicas.watchers[1])
            let (video, other) = (VideoID.random(), VideoID.random())
            try await Self.remember(video, "7", in: one, behind: "8", replicas)
            try await Self.remember(video, "7", in: two, behind: "8", replicas)
            try await Self.remember(other, "1", in: two, behind: "2", replicas)
            // One's bump: INCR on the 8 written behind their backs, forgotten by one before it
            // returns, announced to two.
            try await one.bump(video)
            #expect(try await replicas.raw.get(RedisNames.mediaRevision(video)) == "9")
            #expect(try await one.current(video) == "9")
            #expect(try await two.current(video) == "9", "the bump returned once two had heard it")
            #expect(try await two.current(other) == "1", "another video's memory is untouched")
        }
    }

    @Test("a reconnection forgets what was remembered (what was published meanwhile is lost), then memory is trusted again")
    func reconnectionForgets() async throws {
        try await Self.replicas(count: 1) { replicas in
            let watcher = replicas.watchers[0]
            let video = VideoID.random()
            try await Self.remember(video, "3", in: watcher, behind: "4", replicas)
            watcher.reconnect()
            try await Self.waitUntil { try await watcher.current(video) == "4" }
            try await Self.waitUntil { watcher.isListening }
            try await Self.remember(video, "5", in: watcher, behind: "6", replicas)
        }
    }

    @Test("without a running subscription a bump still changes the revision, and every answer is a GET")
    func unsubscribed() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try LiveUploadService.environment("CLIPCUT_REDIS_URL")))
        let watcher = WatchedMediaRevisions(redis: redis, channel: "test:media-revisions:\(UUID().uuidString)", logger: Logger(label: "idle"))
        let video = VideoID.random()
        try await watcher.bump(video)
        #expect(try await watcher.current(video) == "1")
        _ = try await redis.set(RedisNames.mediaRevision(video), to: "41")
        #expect(try await watcher.current(video) == "41")
        try await watcher.bump(video)
        #expect(try await watcher.current(video) == "42")
        #expect(try await redis.execute(["TTL", RedisNames.mediaRevision(video)]).integer ?? 0 > 86000)
        await redis.shutdown()
    }
}

/// A condition a test waited for did not come true within a minute.
struct WaitTimedOut: Error {}
