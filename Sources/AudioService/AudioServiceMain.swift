import ClipCutCore
import Hummingbird
import ServiceSupport

/// audio-service: speech to timed text with whisper.cpp, behind an OpenAI-compatible REST API.
@main
struct AudioServiceMain {
    static func main() async throws {
        AudioServiceSettings.description.printIfAsked()  // `--print-config`: what it reads and uses, as JSON
        let configuration = ServiceConfiguration.loadOrExit(service: .audio)
        let metricsRegistry = ServiceObservability.bootstrap(configuration)
        do {
            let app = try await buildApplication(configuration: configuration, metricsRegistry: metricsRegistry)
            try await app.runService()
        } catch let error as ConfigError {
            exitWithConfigurationError(error, service: .audio)
        } catch {
            exitWithRuntimeError(error, service: .audio)
        }
    }
}
