import ClipCutCore
import Foundation
import Logging

/// Gets a new video's job and events onto Redis without ever losing them: a video is stored
/// with its outbox flag set, published, then the flag is cleared; when Redis is down the
/// ``sweep()`` publishes later. Other events wait in the ``EventOutbox`` the same way.
///
/// A redelivery (crash between publish and clearing the flag) repeats the same `eventId`s,
/// which consumers apply once.
struct VideoPublication: Sendable {
    let repository: any VideoRepository
    let publisher: any VideoEventPublisher
    let outbox: any EventOutbox
    let logger: Logger

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
    /// sweep will retry).
    @discardableResult
    func publishUpload(of video: Video) async -> Bool {
        do {
            let messages = try Self.uploadMessages(for: video)
            try await publisher.append(messages.job, to: RedisNames.jobsStream)
            try await publisher.append(messages.event, to: RedisNames.eventsStream)
            try await repository.markPublished(id: video.id)
            return true
        } catch {
            logger.warning("job not queued yet; the sweep will retry", metadata: ["videoId": "\(video.id)", "error": "\(error)"])
            return false
        }
    }

    /// Publishes a lifecycle event now, or keeps it in the outbox when Redis is down.
    func publish(_ message: some ClipCutMessage) async throws {
        let json = try message.jsonString()
        do {
            try await publisher.append(json, to: RedisNames.eventsStream)
        } catch {
            logger.warning("event kept in the outbox", metadata: ["type": "\(message.type.rawValue)", "error": "\(error)"])
            try await outbox.add(id: message.eventId, json: json, stream: RedisNames.eventsStream)
        }
    }

    /// Publishes what is pending; returns how many messages went out. Stops at the first
    /// failure (Redis still down).
    @discardableResult
    func sweep(limit: Int = 100) async -> Int {
        var published = 0
        do {
            for record in try await repository.pendingPublication(limit: limit) {
                guard await publishUpload(of: record.video) else { return published }
                published += 1
            }
            for entry in try await outbox.pending(limit: limit) {
                try await publisher.append(entry.json, to: entry.stream)
                try await outbox.remove(id: entry.id)
                published += 1
            }
        } catch {
            logger.warning("outbox sweep stopped", metadata: ["error": "\(error)"])
        }
        return published
    }
}
