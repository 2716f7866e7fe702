import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Redis
import Testing

@testable import MonitoringService

@Suite("monitoring-service: events projected into PostgreSQL, the history API", .serialized)
struct HistoryTests {
    @Test("a whole lifecycle published on Redis reads back through the API, with its timeline and stage durations")
    func lifecycle() async throws {
        try await MonitoringFixture.run { fixture in
            let owner = UserID.random(), id = VideoID.random()
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            for message in MonitoringFixture.lifecycle(id, owner: owner, title: "Holiday ☀️", start: start) { try await fixture.publish(message) }
            let running = Task { try await fixture.projector().run() }
            defer { running.cancel() }
            #expect(try await MonitoringFixture.eventually(60) { try await fixture.store.upload(id)?.status == "ready" })
            try await fixture.application().test(.router) { client in
                let token = try await fixture.token(for: owner)
                let list = try await client.execute(uri: "/api/history", method: .get, headers: bearer(token))
                #expect(list.status == .ok)
                let page = json(list)
                #expect(page["total"] as? Int == 1)
                let upload = try #require((page["uploads"] as? [[String: Any]])?.first)
                #expect(upload["title"] as? String == "Holiday ☀️" && upload["status"] as? String == "ready")
                #expect(upload["renditions"] as? [String] == ["720p", "360p"] && upload["captions"] as? String == "ready")
                let detail = try await client.execute(uri: "/api/history/\(id)", method: .get, headers: bearer(token))
                let body = json(detail)
                let timeline = try #require(body["timeline"] as? [[String: Any]])
                #expect(timeline.map { $0["type"] as? String ?? "" } == [
                    "video.uploaded", "video.transcribing", "video.transcoding", "video.playable", "rendition.ready", "rendition.ready",
                    "video.captions", "video.ready",
                ])
                let stages = try #require(body["stages"] as? [String: Any])
                #expect(stages["queuedSeconds"] as? Double == 2 && stages["transcribingSeconds"] as? Double == 1)
                #expect(stages["transcodingSeconds"] as? Double == 9 && stages["totalSeconds"] as? Double == 12)
                // Watchable 5 s after the upload, 7 s before the whole ladder was ready.
                #expect(stages["playableSeconds"] as? Double == 5)
                #expect((body["upload"] as? [String: Any])?["playableAt"] as? String == "2027-01-15T08:00:05.000Z")

                let stranger = try await fixture.token(for: .random())
                #expect(try await client.execute(uri: "/api/history/\(id)", method: .get, headers: bearer(stranger)).status == .notFound)
                #expect((json(try await client.execute(uri: "/api/history", method: .get, headers: bearer(stranger)))["total"] as? Int) == 0)
                #expect(try await client.execute(uri: "/api/history", method: .get).status == .unauthorized)
                let admin = try await fixture.token(for: .random(), role: .admin)
                #expect(json(try await client.execute(uri: "/api/history?owner=\(owner)", method: .get, headers: bearer(admin)))["total"] as? Int == 1)
                #expect(try await client.execute(uri: "/api/history/\(id)", method: .get, headers: bearer(admin)).status == .ok)
                let badOwner = try await client.execute(uri: "/api/history?owner=not-a-user", method: .get, headers: bearer(admin))
                #expect(badOwner.status == .badRequest && (json(badOwner)["error"] as? [String: Any])?["code"] as? String == "invalid_owner")
                #expect(try await client.execute(uri: "/api/history?owner=\(owner)", method: .get, headers: bearer(stranger)).status == .forbidden)
            }
        }
    }

    @Test("50 events published while the service is down are all projected when it starts; a redelivery changes nothing")
    func durableAndExactlyOnce() async throws {
        try await MonitoringFixture.run { fixture in
            let owner = UserID.random()
            var first: VideoUploadedEvent?
            for index in 0..<50 {
                let event = VideoUploadedEvent(
                    videoId: .random(), owner: owner, title: "clip \(index)", filename: "c.mp4", size: 10, contentType: "video/mp4", sha256: "x",
                    at: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)))
                first = first ?? event
                try await fixture.publish(event)
            }
            try await fixture.redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: "{not json"])
            let duplicate = try #require(first)
            try await fixture.publish(duplicate)  // the same eventId again
            let failed = VideoFailedEvent(videoId: duplicate.payload.videoId, reason: "not a video", at: Date(timeIntervalSince1970: 1_800_000_100))
            try await fixture.publish(failed)
            let running = Task { try await fixture.projector().run() }
            defer { running.cancel() }
            let all = HistoryQuery(owner: owner, limit: 100)
            #expect(try await MonitoringFixture.eventually(60) { try await fixture.store.history(all).total == 50 })
            #expect(try await MonitoringFixture.eventually(60) { try await fixture.store.upload(duplicate.payload.videoId)?.status == "failed" })
            #expect(try await fixture.store.timeline(duplicate.payload.videoId).map(\.type) == ["video.uploaded", "video.failed"])
            #expect(try await fixture.store.apply(.videoUploaded(duplicate)) == false)
            let dead = try await fixture.redis.xrange(RedisNames.eventsDeadLetterStream)
            #expect(dead.count == 1 && dead.first?.fields[RedisNames.messageField] == "{not json")
            #expect(try await fixture.redis.xpending(RedisNames.eventsStream, group: RedisNames.monitoringGroup).count == 0)

            // Paging through all 50, newest first, with the total on every page.
            try await fixture.application().test(.router) { client in
                let token = try await fixture.token(for: owner)
                var titles: [String] = []
                var cursor: String?
                repeat {
                    let uri = "/api/history?limit=15" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = json(try await client.execute(uri: uri, method: .get, headers: bearer(token)))
                    #expect(page["total"] as? Int == 50)
                    titles += (page["uploads"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
                    cursor = page["nextCursor"] as? String
                } while cursor != nil && titles.count < 60
                #expect(titles == (0..<50).reversed().map { "clip \($0)" })
                let failedOnly = json(try await client.execute(uri: "/api/history?status=failed", method: .get, headers: bearer(token)))
                #expect(failedOnly["total"] as? Int == 1)
                let titled = json(try await client.execute(uri: "/api/history?q=clip%204", method: .get, headers: bearer(token)))
                #expect(titled["total"] as? Int == 11)  // clip 4, clip 40…49
                let window = json(try await client.execute(
                    uri: "/api/history?from=2027-01-15T08:00:10Z&to=2027-01-15T08:00:19Z", method: .get, headers: bearer(token)))
                #expect(window["total"] as? Int == 10)
            }
        }
    }

    @Test("bad input: limits, forged cursors, reversed ranges, bad dates and statuses are 400; SQL and tsquery text matches nothing")
    func badInput() async throws {
        try await MonitoringFixture.run { fixture in
            try await fixture.application().test(.router) { client in
                let token = try await fixture.token(for: .random())
                for query in ["limit=0", "limit=100000", "limit=x", "cursor=Zm9yZ2Vk", "cursor=%00", "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
                              "from=yesterday", "status=deleted", "owner=\(UserID.random())", "q=" + String(repeating: "a", count: 300),
                              // A NUL in the title filter (PostgreSQL text cannot hold one: it was a 500, found by schemathesis).
                              "q=a%00b", "q=%F3%9F%8F%96%C3%8AW%C3%8B%00%C3%BC%00T%C2%A2D%60%25"] {
                    let response = try await client.execute(uri: "/api/history?\(query)", method: .get, headers: bearer(token))
                    #expect([.badRequest, .forbidden].contains(response.status), "\(query)")
                    #expect((json(response)["error"] as? [String: Any])?["code"] != nil)
                }
                for hostile in ["%27%3B%20DROP%20TABLE%20uploads%3B%20--", "%25_%5C", "a%20%26%20!b%20%7C%20(c%3A*)", "%F0%9F%98%80", "%E2%80%AE"] {
                    let response = try await client.execute(uri: "/api/history?q=\(hostile)", method: .get, headers: bearer(token))
                    #expect(response.status == .ok, "\(hostile)")
                    #expect(json(response)["total"] as? Int == 0)
                }
                #expect(try await client.execute(uri: "/api/history/not-a-uuid", method: .get, headers: bearer(token)).status == .notFound)
                #expect(try await client.execute(uri: "/api/history/\(VideoID.random())", method: .get, headers: bearer(token)).status == .notFound)
            }
        }
    }
}
