import ClipCutCore
import Jobs
import Foundation
import ServiceSupport

extension ConfigKey {
    /// monitoring-service: live-progress feeds one user may hold open on one replica.
    static let feedsPerUser = ConfigKey(
        "CLIPCUT_FEEDS_PER_USER", summary: "monitoring-service: live-progress feeds one user may hold open on one replica (429 beyond).",
        defaultValue: "20")
}

/// monitoring-service's own settings (the shared ones are in ``ServiceConfiguration``).
struct MonitoringSettings: Sendable {
    var redisURL: String
    var postgresURL: URL
    /// Live-progress feeds one user may hold open on this replica.
    var feedsPerUser: Int
    /// This replica's consumer name in the `monitoring` group on `clipcut:events`.
    var consumerName: String
    /// Take-over time and delivery cap of that group's entries.
    var eventsClaimIdle: Duration
    var eventsMaxDeliveries: Int
    /// The workers' queue policy, replayed to tell queue positions.
    var queuePolicy: QueuePolicy

    /// Every variable read here, for `--print-config` (a test checks the list against the reads).
    static let keys: [ConfigKey] = [
        .redisURL, .postgresURL, .feedsPerUser, .consumerName, .eventsClaimIdle, .eventsMaxDeliveries, .queuePolicy,
    ]

    /// What `monitoring-service --print-config` prints.
    static let description = ServiceDescription(
        service: .monitoring, keys: keys,
        redis: [
            "eventsStream": RedisNames.eventsStream, "monitoringGroup": RedisNames.monitoringGroup,
            "eventsDeadLetterStream": RedisNames.eventsDeadLetterStream, "jobsStream": RedisNames.jobsStream,
            "processingGroup": RedisNames.processingGroup, "progressChannelPattern": RedisNames.progressChannelPattern,
        ])

    init(reader: ConfigReader) throws {
        redisURL = reader.string(.redisURL, default: ConfigKey.redisURL.defaultValue ?? "")
        postgresURL = try reader.url(.postgresURL, default: ConfigKey.postgresURL.defaultValue ?? "", schemes: ["postgres", "postgresql"])
        feedsPerUser = try reader.int(.feedsPerUser, default: 20, in: 1...10_000)
        consumerName = reader.string(.consumerName, default: "monitoring-\(ProcessInfo.processInfo.hostName)")
        eventsClaimIdle = try reader.seconds(.eventsClaimIdle, default: .seconds(60))
        eventsMaxDeliveries = try reader.int(.eventsMaxDeliveries, default: 10, in: 1...1000)
        queuePolicy = try reader.choice(.queuePolicy, default: .fair)
    }
}
