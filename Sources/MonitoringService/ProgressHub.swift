import ClipCutCore
import Foundation
import Jobs
import Logging
import Redis
import ServiceLifecycle
import ServiceSupport
import Synchronization

/// What an open progress feed receives from the ``ProgressHub``.
enum FeedTick: Sendable, Equatable {
    /// A message published on the video's progress channel (JSON).
    case message(String)
    /// The video's place in the job queue changed (JSON).
    case queue(String)
    /// The video is ready or failed (JSON with the status).
    case done(String)
    /// Time for a keep-alive comment.
    case heartbeat
}

/// One Redis subscription (`PSUBSCRIBE clipcut:progress:*`) for the whole service, fanned out to
/// every open progress feed, plus the shared clocks the feeds need: one status query per second
/// for every watched video (instead of one per feed), one queue inspection per second, and one
/// heartbeat every 15 s. A thousand feeds cost a thousand small buffers, not a thousand Redis
/// connections and threads.
final class ProgressHub: Service, Sendable {
    private let redis: RedisClient
    private let store: any HistoryStore
    /// The job queue, read for positions (and shared with the queue and stats routes).
    let queue: RedisJobQueueReader
    private let logger: Logger
    private let heartbeat: Duration
    private let statusPoll: Duration
    private let state = Mutex(State())

    private struct State {
        var subscribed = false
        var watchers: [VideoID: [UUID: AsyncStream<FeedTick>.Continuation]] = [:]
        /// The last queue message sent per video, so an unchanged position is not repeated.
        var lastQueue: [VideoID: String] = [:]
    }

    init(
        redis: RedisClient, store: any HistoryStore, logger: Logger,
        heartbeat: Duration = .seconds(15), statusPoll: Duration = .seconds(1), queuePolicy: QueuePolicy = .fair
    ) {
        self.redis = redis
        self.store = store
        self.queue = RedisJobQueueReader(redis: redis, policy: queuePolicy)
        self.logger = logger
        self.heartbeat = heartbeat
        self.statusPoll = statusPoll
    }

    /// How many feeds are open.
    var watcherCount: Int { state.withLock { $0.watchers.values.reduce(0) { $0 + $1.count } } }

    /// The last queue position sent to the feeds of `videoId` (JSON).
    func lastQueueMessage(for videoId: VideoID) -> String? { state.withLock { $0.lastQueue[videoId] } }

    /// Whether the shared subscription is confirmed (readiness).
    var isSubscribed: Bool { state.withLock { $0.subscribed } }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.relay() }
                group.addTask { await self.tick(every: self.heartbeat) { self.broadcastHeartbeat() } }
                group.addTask { await self.tick(every: self.statusPoll) { await self.pollWatchedVideos() } }
            }
        }
        endAllFeeds()
    }

    /// Closes every open feed (on shutdown).
    func endAllFeeds() {
        let open = state.withLock { state in
            defer { state.watchers = [:]; state.subscribed = false }
            return state.watchers.values.flatMap(\.values)
        }
        for continuation in open { continuation.finish() }
    }

    /// Starts a feed for `videoId`. Everything published after this returns reaches the stream,
    /// so a caller that replays the log afterwards misses nothing. Waits up to 5 s for the
    /// shared subscription (the service may just be starting).
    func watch(_ videoId: VideoID) async throws -> (id: UUID, ticks: AsyncStream<FeedTick>) {
        for _ in 0..<100 where !isSubscribed {
            try await Task.sleep(for: .milliseconds(50))
        }
        guard isSubscribed else { throw APIError.serviceUnavailable("Live progress is not available yet; try again.") }
        let (ticks, continuation) = AsyncStream.makeStream(of: FeedTick.self, bufferingPolicy: .bufferingNewest(1024))
        let id = UUID()
        state.withLock { $0.watchers[videoId, default: [:]][id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.unwatch(videoId, id) }
        return (id, ticks)
    }

    /// Ends a feed (idempotent; also called when its stream terminates).
    func unwatch(_ videoId: VideoID, _ id: UUID) {
        let removed = state.withLock { state -> AsyncStream<FeedTick>.Continuation? in
            let removed = state.watchers[videoId]?.removeValue(forKey: id)
            if state.watchers[videoId]?.isEmpty == true {
                state.watchers.removeValue(forKey: videoId)
                state.lastQueue.removeValue(forKey: videoId)
            }
            return removed
        }
        removed?.finish()
    }

    private func send(_ tick: FeedTick, to videoId: VideoID) {
        let targets = state.withLock { Array(($0.watchers[videoId] ?? [:]).values) }
        for continuation in targets { continuation.yield(tick) }
    }

    /// The shared subscription: routes each message to the feeds of its video; subscribes
    /// again if the stream ends (the client itself resubscribes after a Redis restart).
    private func relay() async {
        while !Task.isCancelled {
            do {
                let messages = try await redis.subscribe(toPatterns: [RedisNames.progressChannelPattern])
                state.withLock { $0.subscribed = true }
                for await message in messages {
                    guard let videoId = RedisNames.videoID(fromProgressChannel: message.channel) else { continue }
                    send(.message(message.text), to: videoId)
                }
            } catch {
                logger.warning("progress subscription failed; retrying", metadata: ["error": "\(error)"])
            }
            state.withLock { $0.subscribed = false }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func tick(every interval: Duration, _ body: @Sendable () async -> Void) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            await body()
        }
    }

    private func broadcastHeartbeat() {
        let all = state.withLock { $0.watchers.values.flatMap(\.values) }
        for continuation in all { continuation.yield(.heartbeat) }
    }

    /// One status query for every watched video: `done` to the feeds of finished ones, and the
    /// queue position to those still waiting.
    private func pollWatchedVideos() async {
        let watched = state.withLock { Array($0.watchers.keys) }
        guard !watched.isEmpty else { return }
        do {
            let uploads = try await store.uploads(watched)
            var waiting: [VideoID] = []
            for upload in uploads {
                if let final = Self.finalStatus(upload) {
                    send(.done(final), to: upload.videoId)
                } else if upload.status == VideoStatus.uploaded.rawValue {
                    waiting.append(upload.videoId)
                }
            }
            guard !waiting.isEmpty else { return }
            let snapshot = try await queue.snapshot()
            for videoId in waiting {
                guard let json = snapshot.position(of: videoId).flatMap(Self.encode) else { continue }
                let changed = state.withLock { state in
                    guard state.lastQueue[videoId] != json else { return false }
                    state.lastQueue[videoId] = json
                    return true
                }
                if changed { send(.queue(json), to: videoId) }
            }
        } catch {
            logger.warning("progress feed status poll failed", metadata: ["error": "\(error)"])
        }
    }

    /// The queue position of one video now (for a feed that just opened).
    func queuePosition(of videoId: VideoID) async throws -> String? {
        try await queue.snapshot().position(of: videoId).flatMap(Self.encode)
    }

    /// `{"status":"ready"}` (with the reason when failed) once the upload is done; else `nil`.
    static func finalStatus(_ upload: UploadSummary) -> String? {
        guard upload.status == VideoStatus.ready.rawValue || upload.status == VideoStatus.failed.rawValue else { return nil }
        struct Final: Encodable { var status: String; var failureReason: String? }
        return encode(Final(status: upload.status, failureReason: upload.failureReason))
    }

    static func encode(_ value: some Encodable) -> String? {
        (try? JSONCoding.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }
}
