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
            #expect(names == ["day", "size", "outcome", "duration_seconds", "seconds_to_ready", "queue_wait", "transcription_rtf"])
        }
    }

    @Test("an event that comes after its video's or its owner's deletion stores nothing titled, no cues and no message; counted once")
    func lateEventsAfterDeletion() async throws {
        try await MonitoringFixture.run(redisDatabase: 10, postgresSchema: "monitoring_late_events_test") { fixture in
            let owner = UserID.random(), gone = UserID.random()
            let video = VideoID.random(), theirs = VideoID.random(), later = VideoID.random()
            let start = Date().addingTimeInterval(-60)
            func upload(_ id: VideoID, by user: UserID) -> ClipCutEvent {
                .videoUploaded(VideoUploadedEvent(
                    videoId: id, owner: user, title: "secret title", filename: "secret-name.mp4", size: 1000, contentType: "video/mp4",
                    sha256: "x", at: start))
            }
            func captions(_ id: VideoID) -> ClipCutEvent {
                .videoCaptions(VideoCaptionsEvent(videoId: id, state: .ready, language: "en", cues: SearchAndStatsTests.penguinCues))
            }
            func count(_ query: PostgresQuery) async throws -> Int {
                for try await value in try await fixture.postgres.query(query).decode(Int.self) { return value }
                return -1
            }
            try await fixture.store.apply(upload(video, by: owner))
            try await fixture.store.apply(upload(theirs, by: gone))
            let before = try await fixture.store.stats(days: 30)
            #expect(before.totals.uploads == 2)

            // A deleted video: its upload published again (a new event id) and its captions come late.
            try await fixture.store.apply(.videoDeleted(VideoDeletedEvent(videoId: video, owner: owner)))
            let again = upload(video, by: owner)
            let recorded = try await fixture.store.apply(again)
            let redelivered = try await fixture.store.apply(again)
            #expect(recorded, "recorded as delivered")
            #expect(!redelivered, "a redelivery still changes nothing")
            try await fixture.store.apply(captions(video))

            // A deleted user: a video of theirs projected before gets late captions; one never
            // seen before is uploaded late (twice), then captioned.
            try await fixture.store.apply(.userDeleted(UserDeletedEvent(userId: gone)))
            try await fixture.store.apply(captions(theirs))
            try await fixture.store.apply(upload(later, by: gone))
            try await fixture.store.apply(upload(later, by: gone))
            try await fixture.store.apply(captions(later))

            let ids = [video, theirs, later].map(\.uuid)
            for id in [video, theirs, later] {
                let row = try await fixture.store.upload(id)
                #expect(row == nil, "before the fix a late video.uploaded brought the titled row back")
            }
            let titled = try await count("SELECT count(*)::int FROM uploads WHERE title LIKE '%secret%' OR filename LIKE '%secret%'")
            let cues = try await count("SELECT count(*)::int FROM transcript_cues WHERE video_id = ANY(\(ids))")
            let messages = try await count("SELECT count(*)::int FROM upload_events WHERE video_id = ANY(\(ids)) AND message <> ''")
            // Every delivery is still in the ledger (ids, types, times): 4 of `video`, 2 of `theirs`, 3 of `later`.
            let deliveries = try await count("SELECT count(*)::int FROM upload_events WHERE video_id = ANY(\(ids))")
            #expect(titled == 0)
            #expect(cues == 0, "before the fix the late captions were searchable again")
            #expect(messages == 0, "before the fix late events kept their titles and cues in the ledger")
            #expect(deliveries == 9)

            // Each upload counts once: the two deleted ones as they were, the late one of the
            // deleted user once (never seen before its owner's deletion), however often it came.
            let after = try await fixture.store.stats(days: 30)
            #expect(after.totals.uploads == before.totals.uploads + 1)
            #expect(after.totals.bytes == before.totals.bytes + 1000)
            #expect(after.totals.inFlight == 0)
        }
    }
}
