import ServiceSupport

/// upload-service: uploads into GridFS, the `videos` collection, media delivery.
@main
struct UploadServiceMain {
    static func main() async throws {
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
