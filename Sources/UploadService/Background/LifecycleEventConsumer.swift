import ClipCutCore
import Foundation
import Logging
import Redis
import ServiceLifecycle

/// Reads `clipcut:events` in the consumer group `upload` and keeps the `videos` documents in
/// step with processing: status, probe results, renditions, captions, failures. On
/// `user.deleted` it deletes every video of that user with all its media.
///
/// Events are acknowledged after they were applied (a failure leaves the entry pending and it is
/// read again, up to `CLIPCUT_EVENTS_MAX_DELIVERIES`); a malformed one is dead-lettered. Entries a
/// stopped consumer left pending (a pod replaced under another name) are taken over after
/// `CLIPCUT_EVENTS_CLAIM_IDLE_SECONDS`. Applying an
/// event twice changes nothing: status moves only forward, renditions are keyed by quality,
/// deletes of what is gone are no-ops.
struct LifecycleEventConsumer: Service {
    let redis: RedisClient
    let applier: LifecycleEventApplier
    let consumerName: String
    let logger: Logger
    /// Take-over of a stopped consumer's entries and the delivery cap.
    var options = GroupConsumerOptions(deadLetterStream: RedisNames.eventsDeadLetterStream)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await redis.consumeGroup(
                RedisNames.eventsStream, group: RedisNames.uploadGroup, consumer: consumerName, options: options, logger: logger
            ) { entry in try await handle(entry) }
        }
    }

    /// Applies one entry and acknowledges it; a malformed one is dead-lettered and acknowledged.
    /// When applying fails the error goes up: the entry stays pending and is read again (up to
    /// the delivery cap; then it is dead-lettered with the error).
    private func handle(_ entry: RedisStreamEntry) async throws {
        guard let json = entry.fields[RedisNames.messageField], let event = try? ClipCutEvent.decode(from: json) else {
            logger.error("malformed event dead-lettered", metadata: ["entry": "\(entry.id)"])
            let fields = entry.fields.merging(["reason": "malformed event", "entry": entry.id, "group": RedisNames.uploadGroup]) { $1 }
            try await redis.xadd(options.deadLetterStream, fields: fields, maxLength: 100_000)
            try await redis.xack(RedisNames.eventsStream, group: RedisNames.uploadGroup, ids: [entry.id])
            return
        }
        try await applier.apply(event)
        try await redis.xack(RedisNames.eventsStream, group: RedisNames.uploadGroup, ids: [entry.id])
    }
}

/// Applies one lifecycle event to the `videos` collection.
struct LifecycleEventApplier: Sendable {
    let dependencies: UploadServiceDependencies

    func apply(_ event: ClipCutEvent) async throws {
        switch event {
        case .userDeleted(let deleted):
            for id in try await dependencies.repository.videoIDs(owner: deleted.payload.userId) {
                if let record = try await dependencies.repository.record(id: id) {
                    try await dependencies.deleteVideo(record)
                }
            }
        case .videoTranscribing(let e):
            try await update(e.payload.videoId, at: e.at) { video in try? video.transition(to: .transcribing, at: e.at) }
        case .videoTranscoding(let e):
            try await update(e.payload.videoId, at: e.at) { video in
                if video.status == .uploaded { try? video.transition(to: .transcribing, at: e.at) }
                try? video.transition(to: .transcoding, at: e.at)
                video.durationSeconds = e.payload.durationSeconds ?? video.durationSeconds
                video.sourceWidth = e.payload.sourceWidth ?? video.sourceWidth
                video.sourceHeight = e.payload.sourceHeight ?? video.sourceHeight
            }
        case .videoPlayable(let e):
            try await update(e.payload.videoId, at: e.at) { video in
                for next in [VideoStatus.transcribing, .transcoding, .playable] where video.status.canTransition(to: next) {
                    try? video.transition(to: next, at: e.at)
                }
            }
        case .renditionReady(let e):
            try await update(e.payload.videoId, at: e.at) { video in
                video.renditions.removeAll { $0.quality == e.payload.rendition.quality }
                video.renditions.append(e.payload.rendition)
                video.renditions.sort { $0.height > $1.height }
            }
        case .videoCaptions(let e):
            try await update(e.payload.videoId, at: e.at) { video in
                video.captionState = e.payload.state
                video.captionLanguage = e.payload.language
                video.captionFailureReason = e.payload.state == .failed || e.payload.state == .noAudioTrack ? e.payload.reason : nil
                video.captionModel = e.payload.state == .ready ? e.payload.model : nil
                video.captionLanguageProbability = e.payload.state == .ready ? e.payload.languageProbability : nil
                video.captionTranslated = e.payload.state == .ready ? !e.payload.translation.isEmpty : nil
                video.captionEdited = e.payload.edited
            }
        case .videoReady(let e):
            try await update(e.payload.videoId, at: e.at) { video in
                for next in [VideoStatus.transcribing, .transcoding, .ready] where video.status.canTransition(to: next) {
                    try? video.transition(to: next, at: e.at)
                }
                if !e.payload.renditions.isEmpty { video.renditions = e.payload.renditions.sorted { $0.height > $1.height } }
                video.durationSeconds = e.payload.durationSeconds ?? video.durationSeconds
            }
        case .videoFailed(let e):
            try await update(e.payload.videoId, at: e.at) { video in
                try? video.transition(to: .failed, at: e.at, failureReason: e.payload.reason)
            }
        case .transcodeRequested, .videoUploaded, .videoProgress, .videoDeleted, .videoRetried:
            break
        }
    }

    /// Read, change, write back if nobody moved the status meanwhile (else try again).
    private func update(_ id: VideoID, at: Date, _ change: (inout Video) -> Void) async throws {
        for _ in 0..<5 {
            guard let record = try await dependencies.repository.record(id: id) else { return }  // deleted meanwhile
            var video = record.video
            change(&video)
            guard video != record.video else { return }
            if try await dependencies.repository.updateProcessing(video, expectedStatus: record.video.status) { return }
        }
    }
}
