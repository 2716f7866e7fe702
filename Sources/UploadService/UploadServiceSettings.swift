import ClipCutCore
import Crypto
import Foundation
import Logging
import ServiceSupport

/// upload-service's own settings (see `docs/configuration.md`).
struct UploadServiceSettings: Sendable {
    /// MongoDB URL (GridFS buckets and the `videos` collection).
    var mongoURL: String
    /// Redis URL (jobs, events).
    var redisURL: String
    /// Bytes of sources one user may keep.
    var quotaBytes: Int64
    /// Largest single upload.
    var maximumUploadBytes: Int64
    /// Secret signing playback tokens.
    var playbackSecret: [UInt8]
    /// Lifetime of a playback token.
    var playbackTokenLifetime: Duration
    /// How long an unfinished tus upload lives after its last write.
    var tusExpiry: Duration
    /// Period of the outbox and expiry sweeps.
    var sweepInterval: Duration
    /// The token processing-service presents on the internal media routes.
    var serviceToken: String?
    /// Upload bodies received at once, and how long one may pause.
    var admission: UploadAdmission
    /// This replica's consumer name in the `upload` group on `clipcut:events`.
    var consumerName: String
    /// Take-over time and delivery cap of that group's entries.
    var eventsClaimIdle: Duration
    var eventsMaxDeliveries: Int
    /// How often acknowledged stream entries are trimmed.
    var streamTrimInterval: Duration
    /// How often media without a video is looked for, and how old it must be to go.
    var orphanSweepInterval: Duration
    var orphanGrace: Duration
    /// The media cache's directory and size (0 bytes: no cache).
    var mediaCacheDirectory: String
    var mediaCacheBytes: Int

    /// Every variable read here, for `--print-config` (a test checks the list against the reads).
    static let keys: [ConfigKey] = [
        .mongoURL, .redisURL, .uploadQuotaBytes, .uploadMaxBytes, .playbackTokenLifetime, .tusExpiry, .sweepInterval,
        .uploadsPerUser, .uploadsPerReplica, .uploadIdleSeconds, .consumerName, .eventsClaimIdle, .eventsMaxDeliveries,
        .streamTrimInterval, .orphanSweepSeconds, .orphanGraceSeconds, .serviceToken, .allowNoServiceToken, .playbackSecret,
        .dataDirectory, .mediaCacheDirectory, .mediaCacheBytes,
    ]

    /// What `upload-service --print-config` prints.
    static let description = ServiceDescription(
        service: .upload, keys: keys,
        redis: [
            "jobsStream": RedisNames.jobsStream, "eventsStream": RedisNames.eventsStream, "uploadGroup": RedisNames.uploadGroup,
            "eventsDeadLetterStream": RedisNames.eventsDeadLetterStream, "captionRemuxRequests": RedisNames.captionRemuxRequests,
        ])

    init(reader: ConfigReader, logger: Logger) throws {
        mongoURL = reader.string(.mongoURL, default: ConfigKey.mongoURL.defaultValue ?? "")
        redisURL = reader.string(.redisURL, default: ConfigKey.redisURL.defaultValue ?? "")
        quotaBytes = Int64(try reader.int(.uploadQuotaBytes, default: 10 << 30, in: 1...Int.max))
        maximumUploadBytes = Int64(try reader.int(.uploadMaxBytes, default: 4 << 30, in: 1...Int.max))
        playbackTokenLifetime = try reader.seconds(.playbackTokenLifetime, default: .seconds(21600))
        tusExpiry = try reader.seconds(.tusExpiry, default: .seconds(86400))
        sweepInterval = try reader.seconds(.sweepInterval, default: .seconds(5))
        admission = UploadAdmission(
            perUser: try reader.int(.uploadsPerUser, default: 4, in: 1...10_000),
            perReplica: try reader.int(.uploadsPerReplica, default: 64, in: 1...100_000),
            idleLimit: try reader.seconds(.uploadIdleSeconds, default: .seconds(30)))
        consumerName = reader.string(.consumerName, default: "upload-\(ProcessInfo.processInfo.hostName)")
        eventsClaimIdle = try reader.seconds(.eventsClaimIdle, default: .seconds(60))
        eventsMaxDeliveries = try reader.int(.eventsMaxDeliveries, default: 10, in: 1...1000)
        streamTrimInterval = try reader.seconds(.streamTrimInterval, default: .seconds(60))
        orphanSweepInterval = try reader.seconds(.orphanSweepSeconds, default: .seconds(600))
        orphanGrace = try reader.seconds(.orphanGraceSeconds, default: .seconds(600))
        let dataDirectory = reader.string(.dataDirectory, default: ConfigKey.dataDirectory.defaultValue ?? ".")
        mediaCacheDirectory = reader.string(.mediaCacheDirectory, default: dataDirectory + "/media-cache")
        mediaCacheBytes = try reader.int(.mediaCacheBytes, default: 2 << 30, in: 0...Int.max)
        serviceToken = try ServiceTokenRequirement.check(
            reader.string(.serviceToken), allowMissing: reader.bool(.allowNoServiceToken, default: false))
        if let secret = reader.string(.playbackSecret) {
            guard secret.utf8.count >= 32 else {
                throw ConfigError(key: ConfigKey.playbackSecret.name, value: "(redacted)", expected: "at least 32 characters")
            }
            playbackSecret = Array(secret.utf8)
        } else {
            let directory = URL(fileURLWithPath: reader.string(.dataDirectory, default: ConfigKey.dataDirectory.defaultValue ?? "."))
            playbackSecret = try Self.developmentSecret(in: directory, logger: logger)
        }
    }

    /// A random secret kept in `<dataDirectory>/playback-secret` (mode 0600), made on first run.
    private static func developmentSecret(in directory: URL, logger: Logger) throws -> [UInt8] {
        let file = directory.appendingPathComponent("playback-secret")
        if let existing = FileManager.default.contents(atPath: file.path), existing.count >= 32 {
            return [UInt8](existing)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { [UInt8]($0) }
        guard FileManager.default.createFile(atPath: file.path, contents: Data(secret), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigError(key: ConfigKey.dataDirectory.name, value: directory.path, expected: "a writable directory")
        }
        logger.notice("generated a development playback secret", metadata: ["file": .string(file.path)])
        return secret
    }
}
