import ClipCutCore
import Hummingbird
import ServiceSupport

/// user-service: accounts in PostgreSQL, login, ES256 access tokens and the JWKS.
@main
struct UserServiceMain {
    static func main() async throws {
        UserServiceSettings.description.printIfAsked()  // `--print-config`: what it reads and uses, as JSON
        let configuration = ServiceConfiguration.loadOrExit(service: .user)
        let metricsRegistry = ServiceObservability.bootstrap(configuration)
        do {
            let app = try await buildApplication(configuration: configuration, metricsRegistry: metricsRegistry)
            try await app.runService()
        } catch let error as ConfigError {
            exitWithConfigurationError(error, service: .user)
        } catch let error as SigningKeyError {
            exitWithConfigurationError(error, service: .user)
        } catch {
            exitWithRuntimeError(error, service: .user)
        }
    }
}
