import ServiceSupport

/// monitoring-service: upload history, live progress over SSE, transcript search, stats and metrics.
@main
struct MonitoringServiceMain {
    static func main() async throws {
        MonitoringSettings.description.printIfAsked()  // `--print-config`: what it reads and uses, as JSON
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
