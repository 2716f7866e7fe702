import ClipCutCore
import Hummingbird
import Prometheus
import ServiceSupport

/// Builds user-service's application: for now only the shared kit (`/health`, `/ready`,
/// `/metrics`, JSON errors).
func buildApplication(
    configuration: ServiceConfiguration,
    metricsRegistry: PrometheusCollectorRegistry
) async throws -> some ApplicationProtocol {
    let router = makeServiceRouter(context: ClipCutRequestContext.self, metricsRegistry: metricsRegistry)
    return makeServiceApplication(router: router, configuration: configuration)
}
