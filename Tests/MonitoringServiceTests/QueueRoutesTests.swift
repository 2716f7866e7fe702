import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import Redis
import Testing

@testable import MonitoringService

/// `/api/queue`: administrators see the fair order and each owner's line, weigh owners and move
/// one video to the front, on the real Redis queue the workers use.
@Suite("The job queue for administrators (/api/queue)")
struct QueueRoutesTests {
    @Test("the order, the owners' lines, a weight and a priority; users get 403, bad input 400, a running video 409")
    func queueRoutes() async throws {
        try await MonitoringFixture.run(redisDatabase: 6) { fixture in
            let busy = UserID.random(), newcomer = UserID.random()
            let busyJobs = (0..<4).map { _ in TranscodeJob(videoId: .random(), owner: busy) }
            let late = TranscodeJob(videoId: .random(), owner: newcomer)
            let worker = RedisJobQueue(redis: fixture.redis, consumer: "worker", claimIdle: .seconds(60))
            for job in busyJobs { try await worker.enqueue(job) }
            let running = try #require(try await worker.claimNext(wait: .milliseconds(50)))
            try await worker.enqueue(late)
            // The running video's latest progress, and a failed upload in the history.
            let runningId = try #require(running.job?.payload.videoId)
            for (stage, percent) in [(ProcessingStage.transcribing, 100.0), (.transcoding, 42.0)] {
                try await fixture.redis.xadd(RedisNames.logStream(for: runningId), fields: [
                    RedisNames.messageField: try VideoProgressEvent(videoId: runningId, stage: stage, percent: percent).jsonString(),
                ])
            }
            let failed = VideoID.random()
            try await fixture.store.apply(.videoUploaded(VideoUploadedEvent(
                videoId: failed, owner: busy, title: "broken", filename: "b.mp4", size: 10, contentType: "video/mp4", sha256: "x")))
            try await fixture.store.apply(.videoFailed(VideoFailedEvent(videoId: failed, reason: "This file is not a video.")))

            try await fixture.application().test(.router) { client in
                let admin = bearer(try await fixture.token(for: .random(), role: .admin))
                let user = bearer(try await fixture.token(for: busy))
                #expect(try await client.execute(uri: "/api/queue", method: .get, headers: user).status == .forbidden)
                #expect(try await client.execute(uri: "/api/queue", method: .get).status == .unauthorized)

                // The newcomer's one job goes before the busy owner's three waiting ones.
                let overview = json(try await client.execute(uri: "/api/queue", method: .get, headers: admin))
                let expected = [late.payload.videoId] + busyJobs.dropFirst().map(\.payload.videoId)
                #expect(overview["waiting"] as? [String] == expected.map(\.description))
                #expect(overview["policy"] as? String == "fair" && overview["inProgress"] as? Int == 1)
                let lines = try #require(overview["owners"] as? [[String: Any]])
                #expect(lines.map { $0["owner"] as? String } == [busy.description, newcomer.description])
                #expect(lines.map { $0["waiting"] as? Int } == [3, 1])
                // Which worker holds which job, and how far it is.
                let holding = try #require(overview["running"] as? [[String: Any]])
                #expect(holding.count == 1)
                #expect(holding.first?["videoId"] as? String == runningId.description)
                #expect(holding.first?["worker"] as? String == "worker" && holding.first?["owner"] as? String == busy.description)
                #expect(holding.first?["stage"] as? String == "transcoding" && holding.first?["percent"] as? Double == 42)
                #expect(holding.first?["since"] is String)
                let failures = try #require(overview["recentFailures"] as? [[String: Any]])
                let failure = try #require(failures.first { $0["videoId"] as? String == failed.description })
                #expect(failure["reason"] as? String == "This file is not a video." && failure["title"] as? String == "broken")

                // Weighing: 400 out of range or not a user id, 403 for users; read back in the lines.
                for body in [#"{"weight": 0}"#, #"{"weight": 101}"#, #"{"weight": "x"}"#] {
                    let answer = try await client.execute(
                        uri: "/api/queue/weights/\(busy)", method: .put, headers: admin + [.contentType: "application/json"], body: ByteBuffer(string: body))
                    #expect(answer.status == .badRequest, "\(body)")
                }
                #expect(try await client.execute(uri: "/api/queue/weights/nobody", method: .put, headers: admin, body: ByteBuffer(string: #"{"weight": 2}"#)).status == .badRequest)
                #expect(try await client.execute(uri: "/api/queue/weights/\(busy)", method: .put, headers: user, body: ByteBuffer(string: #"{"weight": 5}"#)).status == .forbidden)
                let weighed = try await client.execute(
                    uri: "/api/queue/weights/\(busy)", method: .put, headers: admin + [.contentType: "application/json"], body: ByteBuffer(string: #"{"weight": 4}"#))
                #expect(weighed.status == .ok && json(weighed)["weight"] as? Double == 4)
                #expect(try await worker.weight(of: busy) == 4)

                // Priority: the busy owner's last job goes first; a running one is 409.
                let urgent = busyJobs[3].payload.videoId
                let moved = try await client.execute(uri: "/api/queue/priority/\(urgent)", method: .post, headers: admin)
                #expect(moved.status == .ok && json(moved)["position"] as? Int == 1)
                let runningVideo = try #require(running.job?.payload.videoId)
                let conflict = try await client.execute(uri: "/api/queue/priority/\(runningVideo)", method: .post, headers: admin)
                #expect(conflict.status == .conflict && String(buffer: conflict.body).contains("not_waiting"))
                #expect(try await client.execute(uri: "/api/queue/priority/\(urgent)", method: .post, headers: user).status == .forbidden)
                #expect(try await worker.claimNext(wait: .milliseconds(50))?.job?.payload.videoId == urgent)
            }
        }
    }
}

private func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
    var fields = lhs
    fields.append(contentsOf: rhs)
    return fields
}
