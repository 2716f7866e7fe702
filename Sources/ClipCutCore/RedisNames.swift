/// Every Redis stream, consumer group and channel name ClipCut uses, in one place.
///
/// Streams carry what must not be lost (jobs, lifecycle events); pub/sub carries what is only
/// worth having live (progress). Every entry is one JSON message (see ``ClipCutMessage``) stored
/// in the stream field ``messageField``.
public enum RedisNames {
    /// Stream of ``TranscodeJob``s, read by processing-service in the group ``processingGroup``.
    public static let jobsStream = "clipcut:jobs"
    /// Stream of jobs that failed every retry, with the reason (dead letters).
    public static let deadLetterStream = "clipcut:jobs:dead"
    /// Sorted set of jobs waiting for a retry (score: when they are due), moved back into
    /// ``jobsStream`` by processing-service.
    public static let delayedJobs = "clipcut:jobs:delayed"
    /// Stream of lifecycle events (`video.*`, `rendition.ready`, `user.deleted`).
    public static let eventsStream = "clipcut:events"
    /// Events a consumer group gave up on (malformed, or failing past the delivery cap), with the
    /// reason, the entry id, the group and the number of deliveries.
    public static let eventsDeadLetterStream = "clipcut:events:dead"

    /// Prefix of the fair job queue's keys (``jobsStream`` entries admitted by processing-service
    /// and waiting for a worker): `owners` (sorted set of owners with waiting jobs, score: the
    /// start tag of their next job), `owner:<userId>` (list of one owner's waiting entry ids),
    /// `priority` (list of entry ids an administrator moved to the front), `job:<entryId>`
    /// (hash: the message, owner, video, arrival, deliveries, worker, charge), `leases` (sorted
    /// set of running entry ids, score: when their worker's lease ends), `member` (hash: owner →
    /// their member in `owners`, `<oldest arrival>|<owner>`), `videos` (hash: video
    /// id → entry id), `clock`, `arrivals`, `finish`, `estimates` and `weights` (hashes by
    /// owner). One Redis instance, not a cluster: the scripts compute owners' keys.
    public static let jobQueuePrefix = "clipcut:queue:"

    /// Hash of the speed processing-service's ladder encodes reached (media seconds per wall
    /// second), by the top rung's height: the first estimate of the next encode's time left.
    public static let encodeSpeeds = "clipcut:processing:encode-speed"

    /// Consumer group of processing-service on ``jobsStream``.
    public static let processingGroup = "processing"
    /// Consumer group of upload-service on ``eventsStream`` (keeps `videos` documents current,
    /// deletes a deleted user's media).
    public static let uploadGroup = "upload"
    /// Consumer group of monitoring-service on ``eventsStream``.
    public static let monitoringGroup = "monitoring"

    /// The stream field holding the JSON message of an entry.
    public static let messageField = "message"
    /// Sorted set of videos whose MP4 downloads must be re-muxed with their caption tracks (the
    /// owner changed a track); member: the video id, score: when it is due (a taken request is
    /// leased, due again when its lease ends, until it is finished).
    public static let captionRemuxRequests = "clipcut:captions:remux"

    /// Prefix of the per-video progress channels.
    public static let progressChannelPrefix = "clipcut:progress:"
    /// Pattern matching every progress channel (for PSUBSCRIBE).
    public static let progressChannelPattern = "clipcut:progress:*"
    /// Prefix of the per-video capped log streams.
    public static let logStreamPrefix = "clipcut:log:"

    /// Pub/sub channel of one video's live ``VideoProgressEvent``s: `clipcut:progress:<videoId>`.
    public static func progressChannel(for videoId: VideoID) -> String {
        progressChannelPrefix + videoId.description
    }

    /// Capped stream replaying one video's progress and log lines: `clipcut:log:<videoId>`.
    public static func logStream(for videoId: VideoID) -> String {
        logStreamPrefix + videoId.description
    }

    /// Counter of how many times processing of one `clipcut:jobs` entry started without
    /// finishing (a worker that died mid-job never got to acknowledge it):
    /// `clipcut:jobs:starts:<entryId>`.
    public static func jobStarts(entryID: String) -> String {
        "clipcut:jobs:starts:" + entryID
    }

    /// Sorted set of captioning attempts waiting to run (member `<videoId>|<attempt>`, score: when
    /// due; a taken attempt is leased, due again when its lease ends, until it is finished).
    public static let captionRetries = "clipcut:captions:retry"

    /// The per-video lock of processing-service: `clipcut:lock:video:<videoId>`, holding the
    /// worker and the jobs entry it works on; it expires unless heartbeats renew it.
    public static func videoLock(_ videoId: VideoID) -> String {
        "clipcut:lock:video:" + videoId.description
    }

    /// Set once a video's `video.ready` went out, so a job delivered again only acknowledges:
    /// `clipcut:done:<videoId>`.
    public static func videoDone(_ videoId: VideoID) -> String {
        "clipcut:done:" + videoId.description
    }

    /// A video's media revision (an integer string): changed by upload-service whenever what
    /// media delivery relies on changes (the video deleted, its visibility, a media file stored
    /// or deleted), so every replica knows when its in-memory lookups are stale.
    public static func mediaRevision(_ videoId: VideoID) -> String {
        "clipcut:media:rev:\(videoId)"
    }

    /// Pub/sub channel on which upload-service replicas announce each media revision change
    /// (`<videoId> <replica>.<n>`), acknowledge the others' (`ack <replica>.<n> <replica>`) and
    /// prove that their subscription hears (`ping <replica> <n>`), so that each may answer
    /// ``mediaRevision(_:)`` from memory.
    public static let mediaRevisionChanges = "clipcut:media:rev-changes"

    /// Prefix of user-service's login attempt counters per email (a hash of it follows).
    public static let loginEmailPrefix = "clipcut:login:email:"
    /// Prefix of user-service's login attempt counters per client address.
    public static let loginAddressPrefix = "clipcut:login:address:"

    /// When a user's access tokens stopped counting (seconds since 1970, to the millisecond):
    /// tokens issued before are void. `clipcut:tokens:revoked-before:<userId>`.
    public static func tokensRevokedBefore(_ user: UserID) -> String {
        "clipcut:tokens:revoked-before:" + user.description
    }

    /// The video id in a progress channel name, or `nil` if `channel` is not one.
    public static func videoID(fromProgressChannel channel: String) -> VideoID? {
        guard channel.hasPrefix(progressChannelPrefix) else { return nil }
        return VideoID(String(channel.dropFirst(progressChannelPrefix.count)))
    }

    /// The video id in a log stream name, or `nil` if `stream` is not one.
    public static func videoID(fromLogStream stream: String) -> VideoID? {
        guard stream.hasPrefix(logStreamPrefix) else { return nil }
        return VideoID(String(stream.dropFirst(logStreamPrefix.count)))
    }
}
