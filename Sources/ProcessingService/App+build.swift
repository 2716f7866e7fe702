import AsyncHTTPClient
import ClipCutCore
import Foundation
import Hummingbird
import Logging
import Prometheus
import Redis
import ServiceSupport

/// Builds processing-service: transcode workers on `clipcut:jobs` (consumer group
/// `processing`), reading sources and writing media through upload-service (the only service
/// that touches GridFS), captions from audio-service, progress and events on Redis. The HTTP side is the shared kit (`/health`,
/// `/ready`, `/metrics`).
func buildApplication(
    configuration: ServiceConfiguration,
    reader: ConfigReader = ConfigReader(),
    metricsRegistry: PrometheusCollectorRegistry
) async throws -> some ApplicationProtocol {
    let settings = try ProcessingSettings(reader: reader)
    let logger = Logger(label: "processing-service")
    let redis = RedisClient(configuration: try RedisConfiguration(url: settings.redisURL), logger: Logger(label: "processing-service.redis"))
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let worker = JobWorker.live(settings: settings, redis: redis, http: http, logger: logger)
    let router = makeServiceRouter(
        context: ClipCutRequestContext.self,
        metricsRegistry: metricsRegistry,
        readinessChecks: [
            ReadinessProbe(name: "redis") { try await redis.ping() },
            ReadinessProbe(name: "upload-service") {
                let response = try await http.execute(HTTPClientRequest(url: settings.uploadServiceURL + "/health"), timeout: .seconds(2))
                guard response.status == .ok else { throw MediaAccessError(status: Int(response.status.code), what: "/health") }
            },
        ]
    )
    return makeServiceApplication(
        router: router, configuration: configuration, services: [redis, HTTPClientService(client: http), worker])
}

extension JobWorker {
    /// The real worker: Redis queue and events, GridFS media, audio-service over HTTP.
    static func live(settings: ProcessingSettings, redis: RedisClient, http: HTTPClient, logger: Logger) -> JobWorker {
        let consumer = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let queue = JobQueue(redis: redis, consumer: consumer, claimIdle: settings.claimIdle)
        let media = UploadServiceMediaAccess(http: http, baseURL: settings.uploadServiceURL, token: settings.serviceToken)
        let events = RedisEventReporter(redis: redis, logger: logger)
        let pipeline = TranscodePipeline(
            media: media, events: events,
            captions: AudioServiceClient(http: http, baseURL: settings.audioServiceURL, token: settings.serviceToken),
            settings: settings, logger: logger)
        let captionRetry = CaptionRetry(
            queue: queue, pipeline: pipeline, media: media, events: events, retryDelay: settings.captionRetry, logger: logger)
        let captionRemux = CaptionRemux(media: media, scratchDirectory: settings.scratchDirectory, logger: logger)
        return JobWorker(
            queue: queue, pipeline: pipeline, captionRetry: captionRetry, captionRemux: captionRemux, media: media, events: events,
            settings: settings, logger: logger)
    }
}
