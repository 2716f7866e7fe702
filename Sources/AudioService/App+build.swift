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
    func holder(_ path: String) -> ModelHolder {
        ModelHolder(
            configuration: .init(modelPath: path, concurrentJobs: settings.jobs, threadsPerJob: settings.threadsPerJob),
            logger: Logger(label: "audio-service.whisper"))
    }
    let models = SpeechModels(
        english: holder(settings.modelPath), englishName: settings.modelName,
        multilingual: settings.multilingualModelPath.map(holder), multilingualName: settings.multilingualModelName)
    let router = buildRouter(models: models, settings: settings, metricsRegistry: metricsRegistry)
    return makeServiceApplication(router: router, configuration: configuration, services: models.services)
}

/// The router on its own, for tests.
func buildRouter(models: SpeechModels, settings: AudioServiceSettings, metricsRegistry: PrometheusCollectorRegistry) -> Router<ClipCutRequestContext> {
    let router = makeServiceRouter(
        context: ClipCutRequestContext.self, metricsRegistry: metricsRegistry,
        readinessChecks: [ReadinessProbe(name: "model") { try models.checkReady() }]
    )
    TranscriptionRoutes(
        models: models, settings: settings, decoder: AudioDecoder(ffmpegPath: Programs.ffmpeg, ffprobePath: Programs.ffprobe, maximumDuration: settings.maximumSeconds),
        admission: TranscriptionAdmission(limit: settings.queueLimit)
    ).add(to: router)
    return router
}
