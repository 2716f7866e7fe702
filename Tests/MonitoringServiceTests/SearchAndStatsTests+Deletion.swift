import ClipCutCore
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import MonitoringService

extension SearchAndStatsTests {
    @Test("deleting a video, then a user, keeps the stats' counts but nothing about whose or what the uploads were")
    func statsSurviveDeletion() async throws {
        try await MonitoringFixture.run(redisDatabase: 10, postgresSchema: "monitoring_deleted_stats_test") { fixture in
            let owner = UserID.random(), ready = VideoID.random(), failed = VideoID.random()
            let start = Date().addingTimeInterval(-60)
            for message in MonitoringFixture.lifecycle(ready, owner: owner, title: "secret title", start: start) {
                try await fixture.store.apply(try #require(ClipCutEvent(message)))
            }
            try await fixture.store.apply(Self.uploaded(failed, owner: owner, title: "another secret", at: start))
            try await fixture.store.apply(.videoFailed(VideoFailedEvent(videoId: failed, reason: "no video stream")))
            let before = try await fixture.store.stats(days: 30)
            #expect(before.totals.uploads == 2 && before.totals.ready == 1 && before.totals.failed == 1)
            #expect(before.processing.videos == 1)

            try await fixture.store.apply(.videoDeleted(VideoDeletedEvent(videoId: ready, owner: owner)))
            try await fixture.store.apply(.userDeleted(UserDeletedEvent(userId: owner)))
            #expect(try await fixture.store.upload(ready) == nil)
            #expect(try await fixture.store.upload(failed) == nil)
            let after = try await fixture.store.stats(days: 30)
            #expect(after == before, "before the fix a deleted upload vanished from every count")

            // What is kept has no column that could say whose or what an upload was.
            let columns = try await fixture.postgres.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'deleted_upload_counts' AND table_schema = current_schema()",
                logger: Logger(label: "test"))
            var names: Set<String> = []
            for try await name in columns.decode(String.self) { names.insert(name) }
            #expect(names == ["day", "size", "outcome", "duration_seconds", "seconds_to_ready"])
        }
    }
}
