import ClipCutCore
import Hummingbird
import ServiceSupport

/// audio-service: speech to text with whisper.cpp (issue [03] fills it in).
@main
struct AudioServiceMain {
    static func main() async throws {
        let configuration = ServiceConfiguration.loadOrExit(service: .audio)
        let metricsRegistry = ServiceObservability.bootstrap(configuration)
        let app = try await buildApplication(configuration: configuration, metricsRegistry: metricsRegistry)
        try await app.runService()
    }
}
