import ClipCutCore
import Foundation
import Jobs
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Redis
import Testing

@testable import MonitoringService

@Suite("Search inside videos (PostgreSQL full-text) and the platform stats", .serialized)
struct SearchAndStatsTests {
    static func uploaded(_ id: VideoID, owner: UserID, title: String, at: Date = Date()) -> ClipCutEvent {
        .videoUploaded(VideoUploadedEvent(
            videoId: id, owner: owner, title: title, filename: "a.mp4", size: 1000, contentType: "video/mp4", sha256: "x", at: at))
    }

    static let penguinCues = [
        CaptionCue(start: 0.5, end: 2.9, text: "Welcome to the ice shelf."),
        CaptionCue(start: 3.0, end: 6.2, text: "The penguins are diving for fish."),
        CaptionCue(start: 6.4, end: 9.0, text: "A seal watches from the water."),
    ]

    @Test("the owner finds the cue where a word was said (stemmed); others find nothing; deleting the video drops its transcript")
    func search() async throws {
        try await MonitoringFixture.run(redisDatabase: 10) { fixture in
            let owner = UserID.random(), other = UserID.random(), id = VideoID.random(), otherVideo = VideoID.random()
            try await fixture.store.apply(Self.uploaded(id, owner: owner, title: "Antarctica"))
            try await fixture.store.apply(.videoCaptions(VideoCaptionsEvent(videoId: id, state: .ready, language: "en", cues: Self.penguinCues)))
            try await fixture.store.apply(Self.uploaded(otherVideo, owner: other, title: "Zoo"))
            try await fixture.store.apply(.videoCaptions(VideoCaptionsEvent(
                videoId: otherVideo, state: .ready, language: "en", cues: [CaptionCue(start: 1, end: 2, text: "penguin feeding time")])))
            try await fixture.application().test(.router) { client in
                let token = try await fixture.token(for: owner)
                let found = try await client.execute(uri: "/api/search?q=penguin", method: .get, headers: bearer(token))
                #expect(found.status == .ok)
                let results = try #require(json(found)["results"] as? [[String: Any]])
                #expect(results.count == 1 && results.first?["videoId"] as? String == id.description)
                #expect(results.first?["title"] as? String == "Antarctica")
                let cues = try #require(results.first?["cues"] as? [[String: Any]])
                #expect(cues.count == 1 && cues.first?["start"] as? Double == 3.0)
                #expect((cues.first?["text"] as? String)?.contains("penguins") == true)

                // Phrases and alternatives, as in a search box; a second transcript replaces the first.
                let either = json(try await client.execute(uri: "/api/search?q=seal%20or%20welcome", method: .get, headers: bearer(token)))
                #expect(((either["results"] as? [[String: Any]])?.first?["cues"] as? [[String: Any]])?.count == 2)
                let otherToken = try await fixture.token(for: other)
                let theirs = json(try await client.execute(uri: "/api/search?q=diving", method: .get, headers: bearer(otherToken)))
                #expect((theirs["results"] as? [Any])?.isEmpty == true)

                // SQL and tsquery metacharacters are words to look for, never syntax.
                for hostile in ["'); DROP TABLE uploads; --", "a & | ! :* ( <->", "\"unclosed", "-", "the", "ﬁsh 🐧 Ω"] {
                    let encoded = hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                    let response = try await client.execute(uri: "/api/search?q=\(encoded)", method: .get, headers: bearer(token))
                    #expect(response.status == .ok, "q=\(hostile)")
                }
                for bad in ["", "q=", "q=%20%20", "q=fish&limit=0", "q=fish&limit=51", "q=fish&limit=x", "q=" + String(repeating: "a", count: 201), "q=a%00b"] {
                    let response = try await client.execute(uri: "/api/search?\(bad)", method: .get, headers: bearer(token))
                    #expect(response.status == .badRequest, "\(bad)")
                }
                #expect(try await client.execute(uri: "/api/search?q=fish", method: .get).status == .unauthorized)

                try await fixture.store.apply(.videoDeleted(VideoDeletedEvent(videoId: id, owner: owner)))
                let gone = json(try await client.execute(uri: "/api/search?q=penguin", method: .get, headers: bearer(token)))
                #expect((gone["results"] as? [Any])?.isEmpty == true)
                let rows = try await fixture.postgres.query("SELECT count(*)::int FROM transcript_cues WHERE video_id = \(id.uuid)")
                for try await count in rows.decode(Int.self) { #expect(count == 0) }
                // Nothing of what the deleted video said or was called stays in the event ledger.
                let kept = try await fixture.postgres.query(
                    "SELECT count(*)::int FROM upload_events WHERE video_id = \(id.uuid) AND (message LIKE '%Antarctica%' OR message LIKE '%penguin%')")
                for try await count in kept.decode(Int.self) { #expect(count == 0) }
                // A deleted user's videos go the same way.
                try await fixture.store.apply(.userDeleted(UserDeletedEvent(userId: other)))
                let theirsKept = try await fixture.postgres.query(
                    "SELECT count(*)::int FROM upload_events WHERE video_id = \(otherVideo.uuid) AND message LIKE '%Zoo%'")
                for try await count in theirsKept.decode(Int.self) { #expect(count == 0) }
            }
        }
    }

    @Test("stats count what happened (admins only) and /metrics exports the same figures")
    func stats() async throws {
        try await MonitoringFixture.run(redisDatabase: 10, postgresSchema: "monitoring_stats_test") { fixture in
            let before = try await PlatformStats.collect(store: fixture.store, redis: fixture.redis, jobs: fixture.hub.queue)
            #expect(before.uploads.totals == .init(uploads: 0, bytes: 0, ready: 0, failed: 0, inFlight: 0, successRate: nil))
            let owner = UserID.random(), ready = VideoID.random(), failed = VideoID.random()
            let start = Date().addingTimeInterval(-60)
            for message in MonitoringFixture.lifecycle(ready, owner: owner, title: "done", start: start) {
                try await fixture.store.apply(try #require(ClipCutEvent(message)))
            }
            try await fixture.store.apply(Self.uploaded(failed, owner: owner, title: "broken", at: start))
            try await fixture.store.apply(.videoFailed(VideoFailedEvent(videoId: failed, reason: "no video stream")))
            // Two jobs waiting, one taken by a worker, one dead letter.
            _ = try await fixture.redis.execute(["XGROUP", "CREATE", RedisNames.jobsStream, RedisNames.processingGroup, "0", "MKSTREAM"])
            for _ in 0..<3 {
                try await fixture.redis.xadd(RedisNames.jobsStream, fields: [RedisNames.messageField: try TranscodeJob(videoId: .random(), owner: owner).jsonString()])
            }
            _ = try await RedisJobQueue(redis: fixture.redis, consumer: "w", claimIdle: .seconds(60)).claimNext(wait: .milliseconds(50))
            try await fixture.redis.xadd(RedisNames.deadLetterStream, fields: ["message": "{}", "reason": "test"])

            try await fixture.application().test(.router) { client in
                let admin = try await fixture.token(for: .random(), role: .admin)
                let response = try await client.execute(uri: "/api/stats", method: .get, headers: bearer(admin))
                #expect(response.status == .ok)
                let body = json(response)
                let totals = try #require((body["uploads"] as? [String: Any])?["totals"] as? [String: Any])
                #expect(totals["uploads"] as? Int == before.uploads.totals.uploads + 2)
                #expect(totals["ready"] as? Int == before.uploads.totals.ready + 1)
                #expect(totals["failed"] as? Int == before.uploads.totals.failed + 1)
                #expect(totals["bytes"] as? Int == Int(before.uploads.totals.bytes) + 1234 + 1000)
                let processing = try #require((body["uploads"] as? [String: Any])?["processing"] as? [String: Any])
                // Ready 12 s after the upload, 10 s of video: 72 s per minute of video.
                #expect(processing["videos"] as? Int == 1)
                #expect(processing["medianSecondsPerMinute"] as? Double == 72 && processing["p95SecondsPerMinute"] as? Double == 72)
                #expect(totals["successRate"] as? Double == 0.5 && totals["inFlight"] as? Int == 0)
                let perDay = try #require((body["uploads"] as? [String: Any])?["perDay"] as? [[String: Any]])
                let today = ISO8601DateFormatter.string(from: start, timeZone: .gmt, formatOptions: [.withFullDate])
                #expect(perDay.count == 1 && perDay.first?["day"] as? String == today && perDay.first?["uploads"] as? Int == 2)
                let queue = try #require(body["queue"] as? [String: Any])
                #expect(queue["waiting"] as? Int == 2 && queue["inProgress"] as? Int == 1 && queue["delayed"] as? Int == 0)
                #expect(queue["policy"] as? String == "fair")
                let owners = try #require(queue["owners"] as? [[String: Any]])
                #expect(owners.count == 1 && owners.first?["owner"] as? String == owner.description && owners.first?["waiting"] as? Int == 2)
                #expect((owners.first?["oldestWaitSeconds"] as? Double).map { $0 >= 0 && $0 < 60 } == true)
                #expect(body["deadLetters"] as? [String: Int] == ["jobs": 1, "events": 0])

                let user = try await fixture.token(for: owner)
                #expect(try await client.execute(uri: "/api/stats", method: .get, headers: bearer(user)).status == .forbidden)
                #expect(try await client.execute(uri: "/api/stats", method: .get).status == .unauthorized)
                for bad in ["0", "367", "x"] {
                    #expect(try await client.execute(uri: "/api/stats?days=\(bad)", method: .get, headers: bearer(admin)).status == .badRequest)
                }

                let metrics = PlatformMetrics(registry: fixture.metricsRegistry)
                let collected = try await PlatformStats.collect(store: fixture.store, redis: fixture.redis, jobs: fixture.hub.queue)
                metrics.update(collected, openFeeds: 0)
                metrics.recordReady(try #require(try await fixture.store.upload(ready)))
                let exported = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(exported.contains("clipcut_jobs{state=\"waiting\"} 2"))
                // The queue wait the alerts read: the oldest waiting job's, as the stats have it.
                let oldest = try #require(collected.queue.owners.map(\.oldestWaitSeconds).max())
                let waitLine = exported.split(separator: "\n").first { $0.hasPrefix("clipcut_jobs_oldest_wait_seconds ") }
                #expect(waitLine.flatMap { Double($0.split(separator: " ")[1]) } == oldest)
                #expect(exported.contains("clipcut_uploads{status=\"ready\"} 1") && exported.contains("clipcut_upload_success_ratio 0.5"))
                #expect(exported.contains("clipcut_dead_letters{stream=\"jobs\"} 1"))
                #expect(exported.contains("clipcut_processing_seconds_count 1"))
                #expect(exported.contains("clipcut_processing_seconds_per_video_minute_count 1"))
            }
        }
    }
}
