import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import Redis
import ServiceLifecycle
import ServiceSupport

/// `GET /api/videos/:id/events`: the owner's live view of a video being processed, as
/// Server-Sent Events.
///
/// 1. It joins the ``ProgressHub`` first (one shared subscription to every progress channel),
///    so nothing published meanwhile is lost;
/// 2. replays `clipcut:log:<videoId>` (after `Last-Event-ID` when the browser reconnects), each
///    event with its stream entry id as `id:`;
/// 3. while the job waits, sends `event: queue` with its position in `clipcut:jobs`;
/// 4. streams what is published live (skipping what the replay already sent, by `eventId`);
/// 5. sends `event: done` with the final status and closes once the video is `ready` or `failed`.
/// A comment line every 15 s keeps proxies from closing an idle stream.
struct ProgressFeedRoutes: Sendable {
    let store: any HistoryStore
    let redis: RedisClient
    let hub: ProgressHub
    let verifier: AccessTokenVerifier
    /// Confirms an administrator's role for another user's feed.
    let adminCheck: any AdminRoleCheck
    /// Feeds per user on this replica; beyond, 429 `too_many_feeds` with `Retry-After`.
    let limiter: SlotLimiter<UserID>

    func add(to router: Router<ClipCutRequestContext>) {
        router.authenticatedGroup("api/videos", verifier: verifier).get(":id/events", use: events)
    }

    @Sendable func events(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        guard let id = context.parameters.get("id").flatMap(VideoID.init) else { throw APIError.notFound("No such video.") }
        // Just after an upload the projection may be a moment behind: look again briefly.
        var upload = try await store.upload(id)
        for _ in 0..<20 where upload == nil {
            try await Task.sleep(for: .milliseconds(100))
            upload = try await store.upload(id)
        }
        guard let upload else { throw APIError.notFound("No such video.") }
        if upload.owner != user.id {
            guard try await adminCheck.confirms(request, context) else { throw APIError.notFound("No such video.") }
        }
        guard case .success = limiter.acquire(user.id) else {
            var headers = HTTPFields()
            headers[.retryAfter] = "10"
            throw APIError(
                .tooManyRequests, code: "too_many_feeds",
                message: "You have \(limiter.perKey) progress feeds open already; close one first.", headers: headers)
        }
        let limiter = limiter
        var handedOver = false  // once the body owns the slot, it gives it back when the feed ends
        defer { if !handedOver { limiter.release(user.id) } }
        let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Self.isEntryID($0) ? $0 : nil }

        let watch = try await hub.watch(id)
        let replay: [RedisStreamEntry]
        do {
            if let start = Self.replayStart(after: lastEventID) {
                replay = try await redis.xrange(RedisNames.logStream(for: id), start: start)
            } else {
                replay = []
            }
        } catch {
            hub.unwatch(id, watch.id)
            throw error
        }
        let current = try await store.upload(id) ?? upload
        let final = ProgressHub.finalStatus(current)
        let queued = current.status == VideoStatus.uploaded.rawValue ? try? await hub.queuePosition(of: id) : nil
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache, no-store"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let hub = hub
        let owner = user.id
        let body = ResponseBody { writer in
            defer {
                limiter.release(owner)
                hub.unwatch(id, watch.id)
            }
            var sent = Set<String>()
            for entry in replay {
                guard let json = entry.fields[RedisNames.messageField] else { continue }
                sent.insert(Self.eventID(json) ?? entry.id)
                try await writer.write(ByteBuffer(string: Self.frame(id: entry.id, event: "progress", data: json)))
            }
            if let final {
                try await writer.write(ByteBuffer(string: Self.frame(id: nil, event: "done", data: final)))
                try await writer.finish(nil)
                return
            }
            if let queued {
                try await writer.write(ByteBuffer(string: Self.frame(id: nil, event: "queue", data: queued)))
            }
            // The server's graceful shutdown ends the feed (a browser reconnects with Last-Event-ID).
            try await withGracefulShutdownHandler {
                try await Self.stream(watch.ticks, alreadySent: sent, lastQueue: queued, writer: &writer)
            } onGracefulShutdown: {
                hub.unwatch(id, watch.id)
            }
            try await writer.finish(nil)
        }
        handedOver = true
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Forwards the hub's ticks until the video is done (or the service stops).
    static func stream(
        _ ticks: AsyncStream<FeedTick>, alreadySent: Set<String>, lastQueue: String?, writer: inout any ResponseBodyWriter
    ) async throws {
        var sent = alreadySent
        var lastQueue = lastQueue
        for await tick in ticks {
            switch tick {
            case .message(let json):
                if let eventID = Self.eventID(json), !sent.insert(eventID).inserted { continue }
                try await writer.write(ByteBuffer(string: Self.frame(id: nil, event: "progress", data: json)))
            case .queue(let json):
                guard json != lastQueue else { continue }
                lastQueue = json
                try await writer.write(ByteBuffer(string: Self.frame(id: nil, event: "queue", data: json)))
            case .heartbeat:
                try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
            case .done(let json):
                try await writer.write(ByteBuffer(string: Self.frame(id: nil, event: "done", data: json)))
                return
            }
        }
    }

    /// One SSE frame; `data` is one line of JSON.
    static func frame(id: String?, event: String, data: String) -> String {
        (id.map { "id: \($0)\n" } ?? "") + "event: \(event)\ndata: \(data.replacingOccurrences(of: "\n", with: " "))\n\n"
    }

    /// The `eventId` of a JSON message, for de-duplication.
    static func eventID(_ json: String) -> String? {
        (try? ClipCutEvent.decode(from: json))?.eventId.uuidString
    }

    /// A Redis stream entry id (`<ms>-<seq>`, both ASCII digits that fit in 64 bits); anything
    /// else is treated as no `Last-Event-ID` at all (the whole log is replayed).
    static func isEntryID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { (48...57).contains($0) } && UInt64(part) != nil
        }
    }

    /// The replay after `lastEventID` (exclusive), or the whole log; nothing follows the largest id.
    static func replayStart(after lastEventID: String?) -> String? {
        guard let lastEventID else { return "-" }
        return lastEventID == "\(UInt64.max)-\(UInt64.max)" ? nil : "(\(lastEventID)"
    }
}
