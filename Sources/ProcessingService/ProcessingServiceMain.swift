import ServiceSupport

/// processing-service: transcode jobs from `clipcut:jobs` into the ladder, with captions from audio-service.
@main
struct ProcessingServiceMain {
    static func main() async throws {
        ProcessingSettings.description.printIfAsked()  // `--print-config`: what it reads and uses, as JSON
        let configuration = ServiceConfiguration.loadOrExit(service: .processing)
        let metricsRegistry = ServiceObservability.bootstrap(configuration)
        do {
            let app = try await buildApplication(configuration: configuration, metricsRegistry: metricsRegistry)
            try await app.runService()
        } catch let error as ConfigError {
            exitWithConfigurationError(error, service: .processing)
        } catch {
            exitWithRuntimeError(error, service: .processing)
        }
    }
}
