import ClipCutCore
import Foundation
import HummingbirdTesting
import Redis
import Testing

@testable import UploadService

/// Redis answers an `XADD` before its append-only file is on disk (`appendfsync everysec`): a
/// crash in that second loses the entry. Against the real Redis, the loss is an `XDEL`.
@Suite("Publication kept until durable, against the real Redis")
struct PublicationDurabilityTests {
    @Test("a job entry lost after XADD answered is appended again by the sweep, with the same eventId; the flag clears once it is seen")
    func lostEntryIsRepublished() async throws {
        try await LiveUploadService.run { service, client in
            let token = try await service.auth.token(for: .random())
            let id = try await client.uploadVideo(fakeMP4(20_000), token: token)
            let record = try #require(try await service.dependencies.repository.record(id: id))
            let sent = try #require(record.sent)
            #expect(record.publishPending && sent.entries.map(\.stream) == [RedisNames.jobsStream, RedisNames.eventsStream])
            let job = try #require(sent.entries.first)
            let original = try #require(try await service.redis.xrange(job.stream, start: job.id, end: job.id).first)
            _ = try await service.redis.execute(["XDEL", job.stream, job.id])  // lost in the crash

            let publication = service.dependencies.publication
            #expect(await publication.sweep(now: Date().addingTimeInterval(3)) == 1)
            let again = try #require(try await service.dependencies.repository.record(id: id)?.sent?.entries.first)
            #expect(again.id != job.id)
            let entry = try #require(try await service.redis.xrange(again.stream, start: again.id, end: again.id).first)
            let message = { (entry: RedisStreamEntry) in entry.fields[RedisNames.messageField].flatMap { try? ClipCutEvent.decode(from: $0) } }
            #expect(message(entry)?.eventId == message(original)?.eventId)
            #expect(message(entry)?.videoId == id)

            #expect(await publication.sweep(now: Date().addingTimeInterval(6)) == 0)
            let confirmed = try #require(try await service.dependencies.repository.record(id: id))
            #expect(confirmed.publishPending == false && confirmed.sent == nil)
        }
    }
}
