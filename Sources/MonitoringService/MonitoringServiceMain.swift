import ServiceSupport

/// monitoring-service: upload history, live progress, stats (issue [06] fills it in).
@main
struct MonitoringServiceMain {
    static func main() async throws {
        let configuration = ServiceConfiguration.loadOrExit(service: .monitoring)
        let metricsRegistry = ServiceObservability.bootstrap(configuration)
        do {
            let app = try await buildApplication(configuration: configuration, metricsRegistry: metricsRegistry)
            try await app.runService()
        } catch let error as ConfigError {
            exitWithConfigurationError(error, service: .monitoring)
        } catch {
            exitWithRuntimeError(error, service: .monitoring)
        }
    }
}
