import AsyncHTTPClient
import ClipCutCore
import Foundation
import Jobs
import HTTPTypes
import Hummingbird
import Logging
import HummingbirdTesting
import Redis
import ServiceSupport
import Testing

@testable import MonitoringService

@Suite("The live progress feed (Server-Sent Events)", .serialized)
struct ProgressFeedTests {
    static func progress(_ id: VideoID, _ percent: Double) -> VideoProgressEvent {
        VideoProgressEvent(videoId: id, stage: .transcoding, percent: percent, fps: 30, speed: 1.5, etaSeconds: 4)
    }

    /// What processing-service does with a progress update: the capped log stream and pub/sub.
    static func report(_ fixture: MonitoringFixture, _ event: VideoProgressEvent) async throws -> String {
        let json = try event.jsonString()
        let entry = try await fixture.redis.xadd(RedisNames.logStream(for: event.payload.videoId), fields: [RedisNames.messageField: json])
        _ = try await fixture.redis.publish(json, to: RedisNames.progressChannel(for: event.payload.videoId))
        return entry
    }

    /// The progress percentages in an SSE body, in order.
    static func percents(_ body: String) -> [Double] {
        body.split(separator: "\n").filter { $0.hasPrefix("data: ") && $0.contains("\"percent\"") }
            .compactMap { line in (try? ClipCutEvent.decode(from: String(line.dropFirst(6)))).flatMap { event -> Double? in
                if case .videoProgress(let progress) = event { return progress.payload.percent }
                return nil
            } }
    }

    @Test("two clients (one late) both see the whole log in order, then `done`; a reconnect resumes after Last-Event-ID; others get 404")
    func feed() async throws {
        try await MonitoringFixture.run(redisDatabase: 13) { fixture in
            let owner = UserID.random(), id = VideoID.random()
            try await fixture.store.apply(.videoUploaded(VideoUploadedEvent(
                videoId: id, owner: owner, title: "live", filename: "a.mp4", size: 1, contentType: "video/mp4", sha256: "x")))
            let first = try await Self.report(fixture, Self.progress(id, 10))
            _ = try await Self.report(fixture, Self.progress(id, 50))
            try await fixture.application().test(.live) { client in
                let token = try await fixture.token(for: owner)
                let early = Task {
                    let response = try await client.execute(uri: "/api/videos/\(id)/events", method: .get, headers: bearer(token))
                    return (response.status, response.headers[.contentType], String(buffer: response.body))
                }
                #expect(try await MonitoringFixture.eventually(60) { fixture.hub.watcherCount == 1 })
                _ = try await Self.report(fixture, Self.progress(id, 90))
                // The late client on a connection of its own.
                let port = try #require(client.port)
                let late = Task {
                    try await TestClient.withClient(host: "localhost", port: port) { other in
                        let response = try await other.get("/api/videos/\(id)/events", headers: bearer(token))
                        return (response.status, response.headers[.contentType], response.body.map { String(buffer: $0) } ?? "")
                    }
                }
                #expect(try await MonitoringFixture.eventually(60) { fixture.hub.watcherCount == 2 })
                _ = try await Self.report(fixture, Self.progress(id, 100))
                try await fixture.store.apply(.videoReady(VideoReadyEvent(videoId: id, renditions: [], durationSeconds: 3)))
                for watching in [early, late] {
                    let (status, contentType, body) = try await watching.value
                    #expect(status == .ok)
                    #expect(contentType == "text/event-stream; charset=utf-8")
                    #expect(Self.percents(body) == [10, 50, 90, 100])
                    #expect(body.contains("id: \(first)\nevent: progress"))
                    #expect(body.hasSuffix("event: done\ndata: {\"status\":\"ready\"}\n\n"))
                }
                #expect(try await MonitoringFixture.eventually(60) { fixture.hub.watcherCount == 0 })

                // A browser that reconnects sends the last id it saw: it gets only what came after.
                var headers = bearer(token)
                headers[HTTPField.Name("Last-Event-ID")!] = first
                let resumed = String(buffer: try await client.execute(uri: "/api/videos/\(id)/events", method: .get, headers: headers).body)
                #expect(Self.percents(resumed) == [50, 90, 100])
                #expect(resumed.hasSuffix("event: done\ndata: {\"status\":\"ready\"}\n\n"))

                // A Last-Event-ID that is not an entry id (too large, not ASCII digits) replays everything;
                // the largest id replays nothing. Never a 500.
                for (value, expected) in [
                    ("99999999999999999999-99999999999999999999", [50.0, 90, 100]), ("١-٠", [50.0, 90, 100]),
                    ("\(UInt64.max)-\(UInt64.max)", []),
                ] {
                    var odd = bearer(token)
                    odd[HTTPField.Name("Last-Event-ID")!] = value
                    let response = try await client.execute(uri: "/api/videos/\(id)/events", method: .get, headers: odd)
                    #expect(response.status == .ok, "Last-Event-ID: \(value)")
                    #expect(Self.percents(String(buffer: response.body)) == (expected.isEmpty ? [] : [10] + expected), "Last-Event-ID: \(value)")
                }

                let stranger = try await fixture.token(for: .random())
                #expect(try await client.execute(uri: "/api/videos/\(id)/events", method: .get, headers: bearer(stranger)).status == .notFound)
                #expect(try await client.execute(uri: "/api/videos/\(id)/events", method: .get).status == .unauthorized)
                #expect(try await client.execute(uri: "/api/videos/nope/events", method: .get, headers: bearer(token)).status == .notFound)
            }
        }
    }

    @Test("while its job waits the feed sends the queue position, and again when a worker takes the job ahead")
    func queuePosition() async throws {
        try await MonitoringFixture.run(redisDatabase: 13) { fixture in
            let owner = UserID.random(), ahead = VideoID.random(), mine = VideoID.random()
            try await fixture.store.apply(.videoUploaded(VideoUploadedEvent(
                videoId: mine, owner: owner, title: "queued", filename: "a.mp4", size: 1, contentType: "video/mp4", sha256: "x")))
            _ = try await fixture.redis.execute(["XGROUP", "CREATE", RedisNames.jobsStream, RedisNames.processingGroup, "0", "MKSTREAM"])
            for video in [VideoID.random(), ahead, mine] {
                try await fixture.redis.xadd(RedisNames.jobsStream, fields: [RedisNames.messageField: try TranscodeJob(videoId: video, owner: owner).jsonString()])
            }
            // A worker has taken the first job.
            let worker = RedisJobQueue(redis: fixture.redis, consumer: "worker", claimIdle: .seconds(60))
            _ = try await worker.claimNext(wait: .milliseconds(50))
            let snapshot = try await RedisJobQueueReader(redis: fixture.redis).snapshot()
            #expect(snapshot.position(of: mine) == .init(position: 2, ahead: 1, waiting: 2, inProgress: 1))
            #expect(snapshot.position(of: .random()) == nil)

            try await fixture.application().test(.live) { client in
                let token = try await fixture.token(for: owner)
                let watching = Task { try await client.execute(uri: "/api/videos/\(mine)/events", method: .get, headers: bearer(token)) }
                #expect(try await MonitoringFixture.eventually(60) { fixture.hub.watcherCount == 1 })
                // The feed has reported position 2 (on connect and from the hub's poll) before the
                // worker takes the job ahead.
                #expect(try await MonitoringFixture.eventually(60) { fixture.hub.lastQueueMessage(for: mine)?.contains("\"position\":2") == true })
                _ = try await worker.claimNext(wait: .milliseconds(50))
                // The hub's next poll sends the new position; then the video finishes.
                #expect(try await MonitoringFixture.eventually(60) { fixture.hub.lastQueueMessage(for: mine)?.contains("\"position\":1") == true })
                try await fixture.store.apply(.videoFailed(VideoFailedEvent(videoId: mine, reason: "no video stream")))
                let body = String(buffer: try await watching.value.body)
                let queued = body.split(separator: "\n\n").filter { $0.hasPrefix("event: queue") }.map { String($0.split(separator: "\n")[1]) }
                #expect(queued == [
                    "data: {\"ahead\":1,\"inProgress\":1,\"position\":2,\"waiting\":2}",
                    "data: {\"ahead\":0,\"inProgress\":2,\"position\":1,\"waiting\":1}",
                ])
                #expect(body.hasSuffix("event: done\ndata: {\"failureReason\":\"no video stream\",\"status\":\"failed\"}\n\n"))
            }
        }
    }

    @Test("a user holds at most CLIPCUT_FEEDS_PER_USER feeds open: the next is 429 with Retry-After; another user is not affected; a closed feed frees its slot")
    func feedsPerUser() async throws {
        try await MonitoringFixture.run(redisDatabase: 13) { fixture in
            let owner = UserID.random(), other = UserID.random()
            let videos = [VideoID.random(), VideoID.random(), VideoID.random()], theirs = VideoID.random()
            for (video, user) in zip(videos + [theirs], [owner, owner, owner, other]) {
                try await fixture.store.apply(.videoUploaded(VideoUploadedEvent(
                    videoId: video, owner: user, title: "t", filename: "a.mp4", size: 1, contentType: "video/mp4", sha256: "x")))
            }
            try await fixture.application(feedsPerUser: 2).test(.live) { client in
                // Feeds are held open side by side: each on a connection of its own.
                let port = try #require(client.port)
                let http = HTTPClient.shared  // nothing to shut down if an expectation throws half-way
                func feed(_ video: VideoID, _ token: String) async throws -> HTTPClientResponse {
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/videos/\(video)/events")
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    return try await http.execute(request, timeout: .seconds(60))
                }
                let token = try await fixture.token(for: owner), otherToken = try await fixture.token(for: other)
                let first = try await feed(videos[0], token), second = try await feed(videos[1], token)
                #expect(first.status == .ok && second.status == .ok)
                let refused = try await feed(videos[2], token)
                #expect(refused.status == .tooManyRequests && refused.headers.first(name: "Retry-After") == "10")
                #expect(String(buffer: try await refused.body.collect(upTo: 1 << 16)).contains("\"too_many_feeds\""))
                let theirsFeed = try await feed(theirs, otherToken)
                #expect(theirsFeed.status == .ok, "another user is not limited")
                // The first video finishes: its feed ends and its slot is free again.
                try await fixture.store.apply(.videoFailed(VideoFailedEvent(videoId: videos[0], reason: "r")))
                _ = try await first.body.collect(upTo: 1 << 20)
                #expect(try await MonitoringFixture.eventually(60) { fixture.hub.watcherCount == 2 })  // (released before unwatched)
                let third = try await feed(videos[2], token)
                #expect(third.status == .ok)
                for video in [videos[1], videos[2], theirs] {
                    try await fixture.store.apply(.videoFailed(VideoFailedEvent(videoId: video, reason: "r")))
                }
                for response in [second, third, theirsFeed] { _ = try await response.body.collect(upTo: 1 << 20) }
            }
        }
    }

    @Test("without the shared Redis subscription a feed is refused with 503, not left hanging")
    func feedWithoutSubscription() async throws {
        try await MonitoringFixture.run(redisDatabase: 13) { fixture in
            let idle = ProgressHub(redis: fixture.redis, store: fixture.store, logger: Logger(label: "idle-hub"))  // never run
            do {
                _ = try await idle.watch(.random())
                Issue.record("watch succeeded without a subscription")
            } catch let error as APIError {
                #expect(error.status == .serviceUnavailable && error.code == "service_unavailable")
            }
            #expect(idle.watcherCount == 0)
        }
    }
}
