import ClipCutCore
import Hummingbird
import ServiceSupport

/// user-service: accounts, login, token signing and the JWKS (issue [02] fills these in).
@main
struct UserServiceMain {
    static func main() async throws {
        let configuration = ServiceConfiguration.loadOrExit(service: .user)
        let metricsRegistry = ServiceObservability.bootstrap(configuration)
        let app = try await buildApplication(configuration: configuration, metricsRegistry: metricsRegistry)
        try await app.runService()
    }
}
