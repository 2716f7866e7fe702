import AsyncHTTPClient
import ClipCutCore
import Foundation
import Hummingbird
import Jobs
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
    // A worker that was killed left its scratch files behind; nothing else uses this directory.
    try? FileManager.default.removeItem(atPath: settings.scratchDirectory)
    let worker = JobWorker.live(settings: settings, redis: redis, http: http, logger: logger)
    let captionWorker = CaptionWorker.live(settings: settings, redis: redis, http: http, logger: logger)
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
        router: router, configuration: configuration, services: [redis, HTTPClientService(client: http), worker, captionWorker])
}

/// The real parts: GridFS media through upload-service, Redis events, audio-service over HTTP.
struct ProcessingParts {
    let media: UploadServiceMediaAccess
    let events: RedisEventReporter
    let pipeline: TranscodePipeline
    let schedule: RedisCaptionRetrySchedule
    let captionRetry: CaptionRetry

    init(settings: ProcessingSettings, redis: RedisClient, http: HTTPClient, logger: Logger) {
        media = UploadServiceMediaAccess(http: http, baseURL: settings.uploadServiceURL, token: settings.serviceToken)
        events = RedisEventReporter(redis: redis, logger: logger)
        pipeline = TranscodePipeline(
            media: media, events: events,
            captions: AudioServiceClient(http: http, baseURL: settings.audioServiceURL, token: settings.serviceToken),
            settings: settings, logger: logger, speeds: RedisEncodeSpeeds(redis: redis))
        schedule = RedisCaptionRetrySchedule(redis: redis)
        captionRetry = CaptionRetry(
            schedule: schedule, pipeline: pipeline, media: media, events: events, retryDelay: settings.captionRetry, logger: logger)
    }
}

extension JobWorker {
    /// The real worker: the Redis queue (consumer named after host and process), the pipeline.
    static func live(settings: ProcessingSettings, redis: RedisClient, http: HTTPClient, logger: Logger) -> JobWorker {
        let consumer = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let parts = ProcessingParts(settings: settings, redis: redis, http: http, logger: logger)
        return JobWorker(
            queue: RedisJobQueue(redis: redis, consumer: consumer, claimIdle: settings.claimIdle, policy: settings.queuePolicy), processor: parts.pipeline,
            captions: parts.schedule, media: parts.media, events: parts.events, policy: JobPolicy(settings: settings), logger: logger)
    }
}

extension CaptionWorker {
    /// The real caption worker: the Redis schedules, the pipeline for transcriptions.
    static func live(settings: ProcessingSettings, redis: RedisClient, http: HTTPClient, logger: Logger) -> CaptionWorker {
        let parts = ProcessingParts(settings: settings, redis: redis, http: http, logger: logger)
        return CaptionWorker(
            schedule: parts.schedule, redis: redis, captionRetry: parts.captionRetry,
            captionRemux: CaptionRemux(media: parts.media, scratchDirectory: settings.scratchDirectory, logger: logger), logger: logger)
    }
}
