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
/// into PostgreSQL, the upload history API, search inside videos, platform stats and metrics,
/// and the live progress feed (SSE) fanned out from one shared Redis subscription.
func buildApplication(
    configuration: ServiceConfiguration,
    reader: ConfigReader = ConfigReader(),
    metricsRegistry: PrometheusCollectorRegistry
) async throws -> some ApplicationProtocol {
    let logger = Logger(label: "monitoring-service")
    let settings = try MonitoringSettings(reader: reader)
    let redis = RedisClient(
        configuration: try RedisConfiguration(url: settings.redisURL), logger: Logger(label: "monitoring-service.redis"))
    guard let postgresConfiguration = PostgresClient.Configuration(url: settings.postgresURL) else {
        throw ConfigError(key: ConfigKey.postgresURL.name, value: "(redacted)", expected: "postgres://user:password@host:port/database")
    }
    let postgres = PostgresClient(configuration: postgresConfiguration, backgroundLogger: logger)
    let store = PostgresHistoryStore(client: postgres, logger: logger)
    let auth = AccessTokenVerifier.live(configuration: configuration, revocations: RedisTokenRevocations(redis: redis))
    let hub = ProgressHub(redis: redis, store: store, logger: logger, queuePolicy: settings.queuePolicy)
    let metrics = PlatformMetrics(registry: metricsRegistry)
    let router = buildRouter(
        store: store, redis: redis, hub: hub, verifier: auth.verifier,
        adminCheck: UserServiceAdminCheck(
            client: auth.httpClientService.client, userService: UserServiceAdminCheck.userServiceURL(fromJWKS: configuration.jwksURL)),
        metricsRegistry: metricsRegistry,
        readinessChecks: [
            ReadinessProbe(name: "redis") { try await redis.ping() },
            ReadinessProbe(name: "postgresql") { try await postgres.query("SELECT 1", logger: logger) },
            ReadinessProbe(name: "progress-subscription") {
                guard hub.isSubscribed else { throw APIError.serviceUnavailable("The progress subscription is not confirmed.") }
            },
        ],
        feedsPerUser: settings.feedsPerUser)
    let projector = EventProjector(
        redis: redis, store: store, consumer: settings.consumerName, logger: logger, metrics: metrics,
        options: GroupConsumerOptions(
            deadLetterStream: RedisNames.eventsDeadLetterStream, batch: 50, claimIdle: settings.eventsClaimIdle,
            maxDeliveries: settings.eventsMaxDeliveries))
    let refresher = PlatformMetricsRefresher(metrics: metrics, store: store, redis: redis, hub: hub, logger: logger)
    var app = makeServiceApplication(
        router: router, configuration: configuration,
        services: [postgres, redis, auth.httpClientService, projector, hub, refresher])
    app.beforeServerStarts {
        try await PostgresHistoryStore.migrator.migrate(client: postgres, logger: logger)
    }
    return app
}

/// The router on its own, so tests can build it.
func buildRouter(
    store: any HistoryStore, redis: RedisClient, hub: ProgressHub, verifier: AccessTokenVerifier, adminCheck: any AdminRoleCheck,
    metricsRegistry: PrometheusCollectorRegistry,
    readinessChecks: [any ReadinessCheck] = [], feedsPerUser: Int = 20
) -> Router<ClipCutRequestContext> {
    let router = makeServiceRouter(context: ClipCutRequestContext.self, metricsRegistry: metricsRegistry, readinessChecks: readinessChecks)
    router.get("api/history/openapi.yaml") { _, _ in try OpenAPIDocument.service.response() }
    HistoryRoutes(store: store, verifier: verifier, adminCheck: adminCheck).add(to: router)
    ProgressFeedRoutes(store: store, redis: redis, hub: hub, verifier: verifier, adminCheck: adminCheck, limiter: SlotLimiter(perKey: feedsPerUser)).add(to: router)
    SearchRoutes(store: store, verifier: verifier).add(to: router)
    StatsRoutes(store: store, redis: redis, queue: hub.queue, verifier: verifier, adminCheck: adminCheck).add(to: router)
    QueueRoutes(queue: hub.queue, policy: hub.queue.policy, store: store, redis: redis, verifier: verifier, adminCheck: adminCheck).add(to: router)
    return router
}
