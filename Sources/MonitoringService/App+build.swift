import ClipCutCore
import Foundation
import Hummingbird
import Logging
import PostgresMigrations
import PostgresNIO
import Prometheus
import Redis
import ServiceSupport

/// Builds monitoring-service: the projection of `clipcut:events` (consumer group `monitoring`)
/// into PostgreSQL, the upload history API and the live progress feed (SSE). (Issue [06]:
/// search and stats follow.)
func buildApplication(
    configuration: ServiceConfiguration,
    reader: ConfigReader = ConfigReader(),
    metricsRegistry: PrometheusCollectorRegistry
) async throws -> some ApplicationProtocol {
    let logger = Logger(label: "monitoring-service")
    let redis = RedisClient(
        configuration: try RedisConfiguration(url: reader.string(.redisURL, default: ConfigKey.redisURL.defaultValue ?? "")),
        logger: Logger(label: "monitoring-service.redis"))
    let postgresURL = try reader.url(.postgresURL, default: ConfigKey.postgresURL.defaultValue ?? "", schemes: ["postgres", "postgresql"])
    guard let postgresConfiguration = PostgresClient.Configuration(url: postgresURL) else {
        throw ConfigError(key: ConfigKey.postgresURL.name, value: "(redacted)", expected: "postgres://user:password@host:port/database")
    }
    let postgres = PostgresClient(configuration: postgresConfiguration, backgroundLogger: logger)
    let store = PostgresHistoryStore(client: postgres, logger: logger)
    let auth = AccessTokenVerifier.live(configuration: configuration)
    let router = buildRouter(
        store: store, redis: redis, verifier: auth.verifier, metricsRegistry: metricsRegistry,
        readinessChecks: [
            ReadinessProbe(name: "redis") { try await redis.ping() },
            ReadinessProbe(name: "postgresql") { try await postgres.query("SELECT 1", logger: logger) },
        ])
    let projector = EventProjector(
        redis: redis, store: store, consumer: "monitoring-\(ProcessInfo.processInfo.hostName)", logger: logger)
    var app = makeServiceApplication(
        router: router, configuration: configuration, services: [postgres, redis, auth.httpClientService, projector])
    app.beforeServerStarts {
        try await PostgresHistoryStore.migrator.migrate(client: postgres, logger: logger)
    }
    return app
}

/// The router on its own, so tests can build it.
func buildRouter(
    store: any HistoryStore, redis: RedisClient, verifier: AccessTokenVerifier, metricsRegistry: PrometheusCollectorRegistry,
    readinessChecks: [any ReadinessCheck] = []
) -> Router<ClipCutRequestContext> {
    let router = makeServiceRouter(context: ClipCutRequestContext.self, metricsRegistry: metricsRegistry, readinessChecks: readinessChecks)
    router.get("api/history/openapi.yaml") { _, _ in try OpenAPIDocument.service.response() }
    HistoryRoutes(store: store, verifier: verifier).add(to: router)
    ProgressFeedRoutes(store: store, redis: redis, verifier: verifier).add(to: router)
    return router
}
