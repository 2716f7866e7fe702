import ClipCutCore
import Hummingbird
import Logging
import MediaStore
import Prometheus
import Redis
import ServiceSupport

/// Builds upload-service's application. So far: the shared kit (`/health`, `/ready`,
/// `/metrics`, JSON errors) with readiness on MongoDB and Redis, whose clients run in the
/// ServiceGroup. Issue [04] adds uploads and media delivery.
func buildApplication(
    configuration: ServiceConfiguration,
    reader: ConfigReader = ConfigReader(),
    metricsRegistry: PrometheusCollectorRegistry
) async throws -> some ApplicationProtocol {
    let redis = RedisClient(
        configuration: try RedisConfiguration(url: reader.string(.redisURL, default: ConfigKey.redisURL.defaultValue ?? "")),
        logger: Logger(label: "upload-service.redis")
    )
    let store = try MediaStore(
        configuration: .init(uri: reader.string(.mongoURL, default: ConfigKey.mongoURL.defaultValue ?? "")),
        logger: Logger(label: "upload-service.mediastore")
    )
    let router = makeServiceRouter(
        context: ClipCutRequestContext.self,
        metricsRegistry: metricsRegistry,
        readinessChecks: [
            ReadinessProbe(name: "mongodb") { try await store.ping() },
            ReadinessProbe(name: "redis") { try await redis.ping() },
        ]
    )
    return makeServiceApplication(router: router, configuration: configuration, services: [redis, store])
}
