import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import Redis
import ServiceSupport
import Synchronization

/// `GET /api/videos/:id/events`: the owner's live view of a video being processed, as
/// Server-Sent Events.
///
/// 1. It subscribes to `clipcut:progress:<videoId>` first, so nothing published meanwhile is lost;
/// 2. replays `clipcut:log:<videoId>` (after `Last-Event-ID` when the browser reconnects), each
///    event with its stream entry id as `id:`;
/// 3. streams what is published live (skipping what the replay already sent, by `eventId`);
/// 4. sends `event: done` with the final status and closes once the video is `ready` or `failed`.
/// A comment line every 15 s keeps proxies from closing an idle stream.
struct ProgressFeedRoutes: Sendable {
    let store: any HistoryStore
    let redis: RedisClient
    let verifier: AccessTokenVerifier
    var heartbeat: Duration = .seconds(15)
    var statusPoll: Duration = .seconds(1)

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
        guard let upload, upload.owner == user.id || user.isAdmin else { throw APIError.notFound("No such video.") }
        let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Self.isEntryID($0) ? $0 : nil }

        let live = try await redis.subscribe(to: [RedisNames.progressChannel(for: id)])
        let replay = try await redis.xrange(RedisNames.logStream(for: id), start: lastEventID.map { "(\($0)" } ?? "-")
        let feed = self
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache, no-store"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let body = ResponseBody { writer in
            var sent = Set<String>()
            for entry in replay {
                guard let json = entry.fields[RedisNames.messageField] else { continue }
                sent.insert(Self.eventID(json) ?? entry.id)
                try await writer.write(ByteBuffer(string: Self.frame(id: entry.id, event: "progress", data: json)))
            }
            if let final = try await feed.finalStatus(id) {
                try await writer.write(ByteBuffer(string: Self.frame(id: nil, event: "done", data: final)))
                try await writer.finish(nil)
                return
            }
            try await feed.streamLive(live, videoId: id, alreadySent: sent, writer: &writer)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Live messages, heartbeats and the status check, until the video is done.
    private func streamLive(
        _ live: AsyncStream<RedisPubSubMessage>, videoId: VideoID, alreadySent: Set<String>, writer: inout any ResponseBodyWriter
    ) async throws {
        enum Tick: Sendable { case message(String), heartbeat, poll, ended }
        let (ticks, continuation) = AsyncStream.makeStream(of: Tick.self, bufferingPolicy: .bufferingNewest(1024))
        let tasks = [
            Task {
                for await message in live { continuation.yield(.message(message.text)) }
                continuation.yield(.ended)
            },
            Task { [heartbeat] in
                while !Task.isCancelled {
                    try await Task.sleep(for: heartbeat)
                    continuation.yield(.heartbeat)
                }
            },
            Task { [statusPoll] in
                while !Task.isCancelled {
                    try await Task.sleep(for: statusPoll)
                    continuation.yield(.poll)
                }
            },
        ]
        defer {
            for task in tasks { task.cancel() }
            continuation.finish()
        }
        var sent = alreadySent
        for await tick in ticks {
            switch tick {
            case .message(let json):
                if let eventID = Self.eventID(json), !sent.insert(eventID).inserted { continue }
                try await writer.write(ByteBuffer(string: Self.frame(id: nil, event: "progress", data: json)))
            case .heartbeat:
                try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
            case .poll:
                if let final = try await finalStatus(videoId) {
                    try await writer.write(ByteBuffer(string: Self.frame(id: nil, event: "done", data: final)))
                    return
                }
            case .ended:
                return
            }
        }
    }

    /// `{"status":"ready"}` (with the reason when failed) once the video is done; else `nil`.
    func finalStatus(_ id: VideoID) async throws -> String? {
        guard let upload = try await store.upload(id), upload.status == "ready" || upload.status == "failed" else { return nil }
        struct Final: Encodable { var status: String; var failureReason: String? }
        return String(decoding: try JSONCoding.encode(Final(status: upload.status, failureReason: upload.failureReason)), as: UTF8.self)
    }

    /// One SSE frame; `data` is one line of JSON.
    static func frame(id: String?, event: String, data: String) -> String {
        (id.map { "id: \($0)\n" } ?? "") + "event: \(event)\ndata: \(data.replacingOccurrences(of: "\n", with: " "))\n\n"
    }

    /// The `eventId` of a JSON message, for de-duplication.
    static func eventID(_ json: String) -> String? {
        (try? ClipCutEvent.decode(from: json))?.eventId.uuidString
    }

    /// A Redis stream entry id (`<ms>-<seq>`).
    static func isEntryID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.count <= 20 && $0.allSatisfy(\.isNumber) }
    }
}
