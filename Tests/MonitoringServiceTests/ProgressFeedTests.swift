import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Redis
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

    @Test("replay, then live updates, then `done` when the video is ready; a late client resumes after Last-Event-ID; others get 404")
    func feed() async throws {
        try await MonitoringFixture.run(redisDatabase: 13) { fixture in
            let owner = UserID.random(), id = VideoID.random()
            try await fixture.store.apply(.videoUploaded(VideoUploadedEvent(
                videoId: id, owner: owner, title: "live", filename: "a.mp4", size: 1, contentType: "video/mp4", sha256: "x")))
            let first = try await Self.report(fixture, Self.progress(id, 10))
            _ = try await Self.report(fixture, Self.progress(id, 50))
            try await fixture.application().test(.live) { client in
                let token = try await fixture.token(for: owner)
                let watching = Task { try await client.execute(uri: "/api/videos/\(id)/events", method: .get, headers: bearer(token)) }
                try await Task.sleep(for: .milliseconds(800))
                _ = try await Self.report(fixture, Self.progress(id, 90))
                try await Task.sleep(for: .milliseconds(300))
                try await fixture.store.apply(.videoReady(VideoReadyEvent(videoId: id, renditions: [], durationSeconds: 3)))
                let response = try await watching.value
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/event-stream; charset=utf-8")
                let body = String(buffer: response.body)
                let percents = body.split(separator: "\n").filter { $0.hasPrefix("data: ") && $0.contains("\"percent\"") }
                    .compactMap { line in (try? ClipCutEvent.decode(from: String(line.dropFirst(6)))).flatMap { event -> Double? in
                        if case .videoProgress(let progress) = event { return progress.payload.percent }
                        return nil
                    } }
                #expect(percents == [10, 50, 90])
                #expect(body.contains("id: \(first)\nevent: progress"))
                #expect(body.hasSuffix("event: done\ndata: {\"status\":\"ready\"}\n\n"))

                // A browser that reconnects sends the last id it saw: it gets only what came after.
                var headers = bearer(token)
                headers[HTTPField.Name("Last-Event-ID")!] = first
                let late = String(buffer: try await client.execute(uri: "/api/videos/\(id)/events", method: .get, headers: headers).body)
                #expect(!late.contains("\"percent\":10") && late.contains("\"percent\":50") && late.contains("\"percent\":90"))
                #expect(late.hasSuffix("event: done\ndata: {\"status\":\"ready\"}\n\n"))

                let stranger = try await fixture.token(for: .random())
                #expect(try await client.execute(uri: "/api/videos/\(id)/events", method: .get, headers: bearer(stranger)).status == .notFound)
                #expect(try await client.execute(uri: "/api/videos/\(id)/events", method: .get).status == .unauthorized)
                #expect(try await client.execute(uri: "/api/videos/nope/events", method: .get, headers: bearer(token)).status == .notFound)
            }
        }
    }
}
