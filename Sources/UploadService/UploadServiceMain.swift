import NIOCore
import NIOPosix
import ServiceSupport

/// upload-service: uploads into GridFS, the `videos` collection, media delivery.
@main
struct UploadServiceMain {
    static func main() async throws {
        // Swift Concurrency's jobs run on NIO's event loops (Hummingbird serves on the same
        // singleton group): a media request no longer hops between the event loop that reads its
        // socket and the cooperative pool. Blocking C calls already run on their wrappers' pools.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        UploadServiceSettings.description.printIfAsked()  // `--print-config`: what it reads and uses, as JSON
        let configuration = ServiceConfiguration.loadOrExit(service: .upload)
        let metricsRegistry = ServiceObservability.bootstrap(configuration)
        do {
            let app = try await buildApplication(configuration: configuration, metricsRegistry: metricsRegistry)
            try await app.runService()
        } catch let error as ConfigError {
            exitWithConfigurationError(error, service: .upload)
        } catch {
            exitWithRuntimeError(error, service: .upload)
        }
    }
}
