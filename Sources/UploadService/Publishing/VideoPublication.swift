import ClipCutCore
import Foundation
import Logging

/// Gets a new video's job and events onto Redis without ever losing them: a video is stored
/// with its outbox flag set, published, and the flag is cleared only once the entries are seen
/// in their streams ``confirmAfter`` later (Redis may lose the last second of writes in a crash,
/// see ``SentMessages``); when Redis is down, or an entry was lost, ``sweep(limit:now:)``
/// publishes again. Other events wait in the ``EventOutbox`` the same way.
///
/// A redelivery repeats the same `eventId`s, which consumers apply once.
struct VideoPublication: Sendable {
    let repository: any VideoRepository
    let publisher: any VideoEventPublisher
    let outbox: any EventOutbox
    let logger: Logger

    /// How long after an append its entry must still be in the stream to count as durable:
    /// past Redis's once-a-second `fsync` of the append-only file.
    static let confirmAfter: TimeInterval = 2

    /// The transcode job and `video.uploaded` event of a stored video, with ids derived from the
    /// video's id.
    static func uploadMessages(for video: Video) throws -> (job: String, event: String) {
        let job = TranscodeJob(
            videoId: video.id, owner: video.owner, at: video.createdAt,
            eventId: UUID.derived(from: "transcode.requested|\(video.id)"))
        let event = VideoUploadedEvent(
            videoId: video.id, owner: video.owner, title: video.title, filename: video.filename, size: video.size,
            contentType: video.contentType, sha256: video.sha256, at: video.createdAt,
            eventId: UUID.derived(from: "video.uploaded|\(video.id)"))
        return (try job.jsonString(), try event.jsonString())
    }

    /// Queues the job and announces the upload; `false` when Redis was not reachable (the
    /// sweep will retry). The outbox flag stays until the sweep confirmed both entries.
    @discardableResult
    func publishUpload(of video: Video, now: Date = Date()) async -> Bool {
        do {
            let messages = try Self.uploadMessages(for: video)
            let job = try await publisher.append(messages.job, to: RedisNames.jobsStream)
            let event = try await publisher.append(messages.event, to: RedisNames.eventsStream)
            try await repository.markSent(id: video.id, SentMessages(at: now, entries: [
                .init(stream: RedisNames.jobsStream, id: job), .init(stream: RedisNames.eventsStream, id: event),
            ]))
            return true
        } catch {
            logger.warning("job not queued yet; the sweep will retry", metadata: ["videoId": "\(video.id)", "error": "\(error)"])
            return false
        }
    }

    /// Publishes a lifecycle event (or, with `stream` ``RedisNames/jobsStream``, a job) now, and
    /// keeps it in the outbox until it is confirmed durable (or, when Redis is down, until the
    /// sweep publishes it).
    func publish(_ message: some ClipCutMessage, to stream: String = RedisNames.eventsStream) async throws {
        let json = try message.jsonString()
        var entry = OutboxEntry(id: message.eventId, json: json, stream: stream)
        do {
            let id = try await publisher.append(json, to: entry.stream)
            entry.sent = SentMessages(at: Date(), entries: [.init(stream: entry.stream, id: id)])
        } catch {
            logger.warning("event kept in the outbox", metadata: ["type": "\(message.type.rawValue)", "error": "\(error)"])
            try await outbox.add(entry)
            return
        }
        do {
            try await outbox.add(entry)
        } catch {
            // The event is out; only its confirmation is not recorded.
            logger.warning("event published but not kept for confirmation", metadata: ["type": "\(message.type.rawValue)", "error": "\(error)"])
        }
    }

    /// Publishes what is pending and confirms what was sent; returns how many messages went
    /// out. Stops at the first failure (Redis still down).
    @discardableResult
    func sweep(limit: Int = 100, now: Date = Date()) async -> Int {
        var published = 0
        do {
            for record in try await repository.pendingPublication(limit: limit) {
                if let sent = record.sent {
                    guard now.timeIntervalSince(sent.at) >= Self.confirmAfter else { continue }
                    if try await isDurable(sent) {
                        try await repository.markPublished(id: record.video.id)
                        continue
                    }
                    logger.warning("a queued job is missing from Redis (lost in a crash?); queueing it again", metadata: ["videoId": "\(record.video.id)"])
                }
                guard await publishUpload(of: record.video, now: now) else { return published }
                published += 1
            }
            for entry in try await outbox.pending(limit: limit) {
                if let sent = entry.sent {
                    guard now.timeIntervalSince(sent.at) >= Self.confirmAfter else { continue }
                    if try await isDurable(sent) {
                        try await outbox.remove(id: entry.id)
                        continue
                    }
                    logger.warning("an event is missing from Redis (lost in a crash?); publishing it again", metadata: ["eventId": "\(entry.id)"])
                }
                let id = try await publisher.append(entry.json, to: entry.stream)
                try await outbox.markSent(id: entry.id, SentMessages(at: now, entries: [.init(stream: entry.stream, id: id)]))
                published += 1
            }
        } catch {
            logger.warning("outbox sweep stopped", metadata: ["error": "\(error)"])
        }
        return published
    }

    /// Whether every entry is still in its stream.
    private func isDurable(_ sent: SentMessages) async throws -> Bool {
        for entry in sent.entries where !(try await publisher.contains(entry.id, in: entry.stream)) { return false }
        return true
    }
}
