import ClipCutCore
import Hummingbird
import Logging
import Prometheus
import Redis
import ServiceSupport

/// Builds processing-service's application. So far: the shared kit (`/health`, `/ready`,
/// `/metrics`, JSON errors) with readiness on Redis, whose client runs in the ServiceGroup.
/// Issue [05] adds the transcode workers; media stays upload-service's (GridFS is its alone),
/// so the workers will fetch sources and hand back outputs through it.
func buildApplication(
    configuration: ServiceConfiguration,
    reader: ConfigReader = ConfigReader(),
    metricsRegistry: PrometheusCollectorRegistry
) async throws -> some ApplicationProtocol {
    let redis = RedisClient(
        configuration: try RedisConfiguration(url: reader.string(.redisURL, default: ConfigKey.redisURL.defaultValue ?? "")),
        logger: Logger(label: "processing-service.redis")
    )
    let router = makeServiceRouter(
        context: ClipCutRequestContext.self,
        metricsRegistry: metricsRegistry,
        readinessChecks: [ReadinessProbe(name: "redis") { try await redis.ping() }]
    )
    return makeServiceApplication(router: router, configuration: configuration, services: [redis])
}
