import ClipCutCore
import Jobs
import Foundation
import ServiceSupport
import Transcoder

extension ConfigKey {
    /// processing-service: jobs one worker runs at once.
    static let processingConcurrency = ConfigKey(
        "CLIPCUT_PROCESSING_CONCURRENCY", summary: "processing-service: transcode jobs one worker runs at once.", defaultValue: "1")
    /// processing-service: how long a job may sit unacknowledged before another worker takes it over.
    static let jobClaimIdle = ConfigKey(
        "CLIPCUT_JOB_CLAIM_IDLE_SECONDS",
        summary: "processing-service: a job whose worker stopped sending heartbeats this long is taken over by another worker.",
        defaultValue: "60")
    /// processing-service: attempts per job before it is dead-lettered.
    static let jobMaxAttempts = ConfigKey(
        "CLIPCUT_JOB_MAX_ATTEMPTS", summary: "processing-service: attempts per job before it goes to clipcut:jobs:dead.", defaultValue: "3")
    /// processing-service: the first retry's delay; each later one doubles it.
    static let jobRetryBase = ConfigKey(
        "CLIPCUT_JOB_RETRY_BASE_SECONDS", summary: "processing-service: delay before the first retry; each later retry doubles it.",
        defaultValue: "10")
    /// processing-service: where audio-service listens.
    static let audioServiceURL = ConfigKey(
        "CLIPCUT_AUDIO_SERVICE_URL", summary: "processing-service: base URL of audio-service.", defaultValue: "http://127.0.0.1:8083")
    /// processing-service: where upload-service listens (sources in, media out).
    static let uploadServiceURL = ConfigKey(
        "CLIPCUT_UPLOAD_SERVICE_URL", summary: "processing-service: base URL of upload-service (sources and media).",
        defaultValue: "http://127.0.0.1:8082")
    /// processing-service: libx264 preset.
    static let encoderPreset = ConfigKey(
        "CLIPCUT_X264_PRESET", summary: "processing-service: libx264 preset (ultrafast … veryslow).", defaultValue: "veryfast")
    /// processing-service: kill an ffmpeg that reports no progress this long.
    static let ffmpegStall = ConfigKey(
        "CLIPCUT_FFMPEG_STALL_SECONDS", summary: "processing-service: an ffmpeg that reports no progress this long is killed.",
        defaultValue: "120")
    /// processing-service: how long captioning waits after audio-service failed.
    static let captionRetry = ConfigKey(
        "CLIPCUT_CAPTION_RETRY_SECONDS", summary: "processing-service: delay before captions are tried again after audio-service failed.",
        defaultValue: "60")
    /// processing-service: how long a running job may finish after SIGTERM before it is released.
    static let shutdownGrace = ConfigKey(
        "CLIPCUT_SHUTDOWN_GRACE_SECONDS", summary: "processing-service: after SIGTERM, how long the current job may finish before it is released.",
        defaultValue: "25")
    /// processing-service: the longest video accepted.
    static let maxDuration = ConfigKey(
        "CLIPCUT_MAX_DURATION_SECONDS", summary: "processing-service: longest video accepted, in seconds; longer ones fail with the limit named.",
        defaultValue: "14400")
    /// processing-service: the largest frame accepted.
    static let maxFrameSide = ConfigKey(
        "CLIPCUT_MAX_FRAME_SIDE", summary: "processing-service: largest coded width or height accepted, in pixels.", defaultValue: "8192")
    /// processing-service: the largest frame area accepted.
    static let maxFramePixels = ConfigKey(
        "CLIPCUT_MAX_FRAME_PIXELS", summary: "processing-service: largest frame area accepted, in pixels (width × height).",
        defaultValue: "40000000")
    /// processing-service: the most streams in one file.
    static let maxStreams = ConfigKey(
        "CLIPCUT_MAX_STREAMS", summary: "processing-service: most streams (video, audio, subtitles, data) in one file.", defaultValue: "16")
    /// processing-service: wall-clock allowance of ffmpeg per second of video.
    static let toolTimeFactor = ConfigKey(
        "CLIPCUT_TOOL_TIME_FACTOR",
        summary: "processing-service: an ffmpeg run on a video may take 2 minutes plus this many seconds per second of video; then it is stopped.",
        defaultValue: "10")
}

/// processing-service's settings (see `docs/configuration.md`).
struct ProcessingSettings: Sendable {
    var redisURL: String
    var uploadServiceURL: String
    var concurrency: Int
    var claimIdle: Duration
    var maxAttempts: Int
    var retryBase: Duration
    var audioServiceURL: String
    var serviceToken: String?
    var encoding: EncodingOptions
    var stallLimit: Duration
    var captionRetry: Duration
    var shutdownGrace: Duration
    var scratchDirectory: String
    /// What is accepted from an upload.
    var policy: MediaPolicy
    /// Seconds of ffmpeg wall-clock time allowed per second of video (after a fixed 2 minutes).
    var toolTimeFactor: Double
    /// Which waiting job a free worker takes.
    var queuePolicy: QueuePolicy
    /// How long a job waits at least for its captions once the picture is done (at least the
    /// video's length); then they come by the caption retry. Not a variable: tests on a loaded
    /// machine wait longer.
    var captionWaitFloor: Duration = .seconds(120)

    /// Every variable read here, for `--print-config` (a test checks the list against the reads).
    static let keys: [ConfigKey] = [
        .redisURL, .uploadServiceURL, .processingConcurrency, .jobClaimIdle, .jobMaxAttempts, .jobRetryBase, .audioServiceURL,
        .serviceToken, .allowNoServiceToken, .encoderPreset, .ffmpegStall, .captionRetry, .shutdownGrace, .dataDirectory,
        .maxFrameSide, .maxDuration, .maxFramePixels, .maxStreams, .toolTimeFactor, .queuePolicy,
    ]

    /// What `processing-service --print-config` prints.
    static let description = ServiceDescription(
        service: .processing, keys: keys,
        redis: [
            "jobsStream": RedisNames.jobsStream, "processingGroup": RedisNames.processingGroup,
            "deadLetterStream": RedisNames.deadLetterStream, "delayedJobs": RedisNames.delayedJobs,
            "eventsStream": RedisNames.eventsStream, "captionRetries": RedisNames.captionRetries,
            "captionRemuxRequests": RedisNames.captionRemuxRequests, "progressChannelPrefix": RedisNames.progressChannelPrefix,
        ],
        programs: [Programs.ffmpeg, Programs.ffprobe])

    init(reader: ConfigReader) throws {
        redisURL = reader.string(.redisURL, default: ConfigKey.redisURL.defaultValue ?? "")
        uploadServiceURL = reader.string(.uploadServiceURL, default: "http://127.0.0.1:8082")
        concurrency = try reader.int(.processingConcurrency, default: 1, in: 1...16)
        claimIdle = try reader.seconds(.jobClaimIdle, default: .seconds(60))
        maxAttempts = try reader.int(.jobMaxAttempts, default: 3, in: 1...20)
        retryBase = try reader.seconds(.jobRetryBase, default: .seconds(10))
        audioServiceURL = reader.string(.audioServiceURL, default: "http://127.0.0.1:8083")
        serviceToken = try ServiceTokenRequirement.check(
            reader.string(.serviceToken), allowMissing: reader.bool(.allowNoServiceToken, default: false))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        encoding = EncodingOptions(preset: reader.string(.encoderPreset, default: "veryfast"), threadsPerEncoder: 0)
        encoding.threadsPerEncoder = cores  // refined per job by the number of encoders
        stallLimit = try reader.seconds(.ffmpegStall, default: .seconds(120))
        captionRetry = try reader.seconds(.captionRetry, default: .seconds(60))
        shutdownGrace = try reader.seconds(.shutdownGrace, default: .seconds(25))
        scratchDirectory = reader.string(.dataDirectory, default: ConfigKey.dataDirectory.defaultValue ?? ".") + "/scratch"
        let side = try reader.int(.maxFrameSide, default: 8192, in: 16...65536)
        policy = MediaPolicy(
            maximumDuration: Double(try reader.int(.maxDuration, default: 14400, in: 1...(7 * 86400))), maximumWidth: side, maximumHeight: side,
            maximumPixels: try reader.int(.maxFramePixels, default: 40_000_000, in: 256...(1 << 32)),
            maximumStreams: try reader.int(.maxStreams, default: 16, in: 1...1024))
        toolTimeFactor = Double(try reader.int(.toolTimeFactor, default: 10, in: 1...1000))
        queuePolicy = try reader.choice(.queuePolicy, default: .fair)
    }
}
