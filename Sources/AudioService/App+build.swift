import ClipCutCore
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceSupport
import Whisper

/// Builds audio-service: whisper.cpp behind an OpenAI-compatible transcription endpoint. The
/// model loads in the background when the service starts; `/ready` turns 200 once it has.
func buildApplication(
    configuration: ServiceConfiguration,
    reader: ConfigReader = ConfigReader(),
    metricsRegistry: PrometheusCollectorRegistry
) async throws -> some ApplicationProtocol {
    let settings = try AudioServiceSettings(reader: reader)
    let models = ModelHolder(
        configuration: .init(modelPath: settings.modelPath, concurrentJobs: settings.jobs, threadsPerJob: settings.threadsPerJob),
        logger: Logger(label: "audio-service.whisper")
    )
    let router = buildRouter(models: models, settings: settings, metricsRegistry: metricsRegistry)
    return makeServiceApplication(router: router, configuration: configuration, services: [models])
}

/// The router on its own, for tests.
func buildRouter(models: ModelHolder, settings: AudioServiceSettings, metricsRegistry: PrometheusCollectorRegistry) -> Router<ClipCutRequestContext> {
    let router = makeServiceRouter(
        context: ClipCutRequestContext.self, metricsRegistry: metricsRegistry,
        readinessChecks: [ReadinessProbe(name: "model") { try models.checkReady() }]
    )
    TranscriptionRoutes(
        models: models, settings: settings, decoder: AudioDecoder(maximumDuration: settings.maximumSeconds),
        admission: TranscriptionAdmission(limit: settings.queueLimit)
    ).add(to: router)
    return router
}
