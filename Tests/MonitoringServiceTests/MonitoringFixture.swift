import AuthTestSupport
import ClipCutCore
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import PostgresMigrations
import PostgresNIO
import Prometheus
import Redis
import ServiceSupport
import Testing

@testable import MonitoringService

/// monitoring-service's store on the PostgreSQL of `scripts/test`, a Redis database of its own,
/// and tokens signed like user-service's.
struct MonitoringFixture: Sendable {
    let postgres: PostgresClient
    let store: PostgresHistoryStore
    let redis: RedisClient
    let auth: TestAuth
    /// The shared progress subscription, running while the fixture does.
    let hub: ProgressHub
    let metricsRegistry = PrometheusCollectorRegistry()
    var verifier: AccessTokenVerifier { auth.verifier }

    static func environment(_ name: String) throws -> String {
        try #require(ProcessInfo.processInfo.environment[name], "\(name) is not set: run the tests through scripts/test")
    }

    /// Runs `body` with the fixture; the PostgreSQL client runs meanwhile.
    /// `redisDatabase`: each suite has its own, since they flush it (processing's workers use 14).
    /// `postgresSchema`: a fresh schema of its own (dropped and created), for a suite whose
    /// figures must not see the other suites' rows (they run in parallel on one database).
    static func run(
        redisDatabase: Int = 15, postgresSchema: String? = nil, _ body: @escaping @Sendable (MonitoringFixture) async throws -> Void
    ) async throws {
        let url = try #require(URL(string: try environment("CLIPCUT_POSTGRES_URL")))
        var configuration = try #require(PostgresClient.Configuration(url: url))
        if let postgresSchema { configuration.options.additionalStartupParameters = [("search_path", postgresSchema)] }
        let postgres = PostgresClient(configuration: configuration)
        let running = Task { await postgres.run() }
        defer { running.cancel() }
        let logger = Logger(label: "monitoring-test")
        if let postgresSchema {
            try await postgres.query("DROP SCHEMA IF EXISTS \(unescaped: postgresSchema) CASCADE", logger: logger)
            try await postgres.query("CREATE SCHEMA \(unescaped: postgresSchema)", logger: logger)
        }
        try await PostgresHistoryStore.migrator.migrate(client: postgres, logger: logger)
        let base = try environment("CLIPCUT_REDIS_URL")
        let redisURL = String(base[..<(base.lastIndex(of: "/") ?? base.endIndex)]) + "/\(redisDatabase)"
        let redis = RedisClient(configuration: try RedisConfiguration(url: redisURL))
        _ = try await redis.execute(["FLUSHDB"])
        let fixture = try MonitoringFixture(postgres: postgres, store: PostgresHistoryStore(client: postgres, logger: logger), redis: redis)
        let hub = Task { try await fixture.hub.run() }
        defer { hub.cancel() }
        do {
            // The hub's subscription first: a feed opened before it answers 503 after 5 s, which
            // a loaded machine can take to subscribe.
            let deadline = ContinuousClock.now + .seconds(60)
            while !fixture.hub.isSubscribed, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            try await body(fixture)
        } catch {
            _ = try? await redis.execute(["FLUSHDB"])
            await redis.shutdown()
            throw error
        }
        _ = try? await redis.execute(["FLUSHDB"])
        await redis.shutdown()
    }

    init(postgres: PostgresClient, store: PostgresHistoryStore, redis: RedisClient) throws {
        self.postgres = postgres
        self.store = store
        self.redis = redis
        auth = try TestAuth()
        hub = ProgressHub(redis: redis, store: store, logger: Logger(label: "hub"))
    }

    /// The accounts' view of who is an administrator (what user-service's database says).
    let admins = KnownAdmins()

    /// A token for `user`; an admin token's user is also an administrator in ``admins``.
    func token(for user: UserID, role: UserRole = .user) async throws -> String {
        if role == .admin { admins.set(user, admin: true) }
        return try await auth.token(for: user, role: role)
    }

    func application(feedsPerUser: Int = 20) -> some ApplicationProtocol {
        Application(router: buildRouter(
            store: store, redis: redis, hub: hub, verifier: verifier, adminCheck: admins, metricsRegistry: metricsRegistry,
            feedsPerUser: feedsPerUser))
    }

    func projector() -> EventProjector {
        EventProjector(redis: redis, store: store, consumer: "test-\(UUID().uuidString.prefix(6))", logger: Logger(label: "projector"))
    }

    func publish(_ message: some ClipCutMessage) async throws {
        try await redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: try message.jsonString()])
    }

    /// A video's whole life in events, from upload to ready.
    static func lifecycle(_ id: VideoID, owner: UserID, title: String, start: Date) -> [any ClipCutMessage] {
        let rungs = [Rendition(quality: "720p", width: 1280, height: 720), Rendition(quality: "360p", width: 640, height: 360)]
        return [
            VideoUploadedEvent(videoId: id, owner: owner, title: title, filename: "clip.mp4", size: 1234, contentType: "video/mp4",
                               sha256: "ab", at: start),
            VideoTranscribingEvent(videoId: id, language: "en", at: start.addingTimeInterval(2)),
            VideoTranscodingEvent(videoId: id, rungs: ["720p", "360p"], durationSeconds: 10, sourceWidth: 1280, sourceHeight: 720,
                                  at: start.addingTimeInterval(3)),
            VideoPlayableEvent(videoId: id, rungs: ["720p", "360p"], playableSeconds: 2, at: start.addingTimeInterval(5)),
            RenditionReadyEvent(videoId: id, rendition: rungs[0], at: start.addingTimeInterval(10)),
            RenditionReadyEvent(videoId: id, rendition: rungs[1], at: start.addingTimeInterval(11)),
            VideoCaptionsEvent(videoId: id, state: .ready, language: "en", at: start.addingTimeInterval(11)),
            VideoReadyEvent(videoId: id, renditions: rungs, durationSeconds: 10, at: start.addingTimeInterval(12)),
        ]
    }

    /// Waits until `condition` holds (every 100 ms, at most `seconds`).
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}

func json(_ response: TestResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]) ?? [:]
}

func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
