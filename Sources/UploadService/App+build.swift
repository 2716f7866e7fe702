import ClipCutCore
import Foundation
import Jobs
import Hummingbird
import Logging
import MediaStore
import Prometheus
import Redis
import ServiceLifecycle
import ServiceSupport

/// Builds upload-service: uploads (direct and tus) streamed into GridFS, the `videos`
/// collection, jobs and events to Redis with an outbox, and media delivery with playback tokens.
func buildApplication(
    configuration: ServiceConfiguration,
    reader: ConfigReader = ConfigReader(),
    metricsRegistry: PrometheusCollectorRegistry
) async throws -> some ApplicationProtocol {
    let logger = Logger(label: "upload-service")
    let settings = try UploadServiceSettings(reader: reader, logger: logger)
    let redis = RedisClient(configuration: try RedisConfiguration(url: settings.redisURL), logger: Logger(label: "upload-service.redis"))
    let store = try MediaStore(configuration: .init(uri: settings.mongoURL), logger: Logger(label: "upload-service.mediastore"))
    let auth = AccessTokenVerifier.live(configuration: configuration, revocations: RedisTokenRevocations(redis: redis))
    let (liveDependencies, stores) = UploadServiceDependencies.live(
        store: store, redis: redis, verifier: auth.verifier, settings: settings, logger: logger)
    var dependencies = liveDependencies
    dependencies.adminCheck = UserServiceAdminCheck(
        client: auth.httpClientService.client, userService: UserServiceAdminCheck.userServiceURL(fromJWKS: configuration.jwksURL))
    let router = buildRouter(
        dependencies: dependencies, metricsRegistry: metricsRegistry,
        readinessChecks: [
            ReadinessProbe(name: "mongodb") { try await store.ping() },
            ReadinessProbe(name: "redis") { try await redis.ping() },
        ])
    let consumer = LifecycleEventConsumer(
        redis: redis, applier: LifecycleEventApplier(dependencies: dependencies),
        consumerName: settings.consumerName, logger: logger,
        options: GroupConsumerOptions(
            deadLetterStream: RedisNames.eventsDeadLetterStream, claimIdle: settings.eventsClaimIdle,
            maxDeliveries: settings.eventsMaxDeliveries))
    let sweeper = UploadSweeper(dependencies: dependencies, interval: settings.sweepInterval, logger: logger)
    let trimmer = StreamTrimmer(redis: redis, interval: settings.streamTrimInterval, logger: logger)
    let orphans = OrphanMediaSweeper(
        storage: dependencies.storage, repository: dependencies.repository,
        interval: settings.orphanSweepInterval, grace: settings.orphanGrace, logger: logger)
    var services: [any Service] = [redis, store, auth.httpClientService, consumer, sweeper, trimmer, orphans]
    if let revisions = dependencies.mediaRevisions as? WatchedMediaRevisions { services.append(revisions) }
    if let cache = dependencies.mediaCache {
        services += [cache, MediaCacheInvalidator(redis: redis, cache: cache, logger: logger)]
    }
    var app = makeServiceApplication(router: router, configuration: configuration, services: services)
    app.beforeServerStarts { try await stores.ensureIndexes() }
    return app
}

/// The router on its own, so router tests can build it with in-memory dependencies.
func buildRouter(
    dependencies: UploadServiceDependencies,
    metricsRegistry: PrometheusCollectorRegistry,
    readinessChecks: [any ReadinessCheck] = []
) -> Router<ClipCutRequestContext> {
    let router = makeServiceRouter(context: ClipCutRequestContext.self, metricsRegistry: metricsRegistry, readinessChecks: readinessChecks)
    router.get("api/videos/openapi.yaml") { _, _ in try OpenAPIDocument.service.response() }
    let owned = router.authenticatedGroup("api/videos", verifier: dependencies.verifier)
    DirectUploadRoutes(dependencies: dependencies).add(to: owned)
    UsageRoutes(dependencies: dependencies).add(to: owned)
    let administered = router.authenticatedGroup("api", verifier: dependencies.verifier)
        .add(middleware: ConfirmAdminMiddleware<ClipCutRequestContext>(check: dependencies.adminCheck))
    JobAdminRoutes(dependencies: dependencies).add(to: administered)
    VideoRoutes(dependencies: dependencies).add(to: owned)
    ClipRoutes(dependencies: dependencies).add(to: owned)
    CaptionEditRoutes(dependencies: dependencies).add(to: owned)
    let lookups = MediaLookups(
        repository: dependencies.repository, storage: dependencies.storage, revisions: dependencies.mediaRevisions, logger: dependencies.logger)
    let access = MediaAccess(repository: dependencies.repository, tokens: dependencies.playbackTokens, lookups: lookups)
    let media = router.group("api/videos").add(middleware: JWTAuthenticator<ClipCutRequestContext>(verifier: dependencies.verifier))
    PlaybackRoutes(dependencies: dependencies, access: access).add(to: media)
    MediaRoutes(storage: dependencies.storage, access: access, cache: dependencies.mediaCache).add(to: media)
    TusRoutes(dependencies: dependencies).add(to: router)
    InternalMediaRoutes(dependencies: dependencies, serviceToken: dependencies.serviceToken).add(to: router)
    return router
}

/// The MongoDB-backed stores of upload-service, for creating their indexes.
struct UploadServiceStores: Sendable {
    let storage: GridFSMediaStorage
    let repository: MongoVideoRepository
    let tusUploads: MongoTusUploadRepository

    /// Creates every index the service's queries use (idempotent).
    func ensureIndexes() async throws {
        try await storage.ensureIndexes()
        try await repository.ensureIndexes()
        try await tusUploads.ensureIndexes()
    }
}

extension UploadServiceDependencies {
    /// The real dependencies: GridFS and collections in `store`, jobs and events on `redis`.
    static func live(
        store: MediaStore, redis: RedisClient, verifier: AccessTokenVerifier, settings: UploadServiceSettings, logger: Logger
    ) -> (UploadServiceDependencies, UploadServiceStores) {
        let stores = UploadServiceStores(
            storage: GridFSMediaStorage(store: store), repository: MongoVideoRepository(store: store),
            tusUploads: MongoTusUploadRepository(store: store))
        // Every change to a video or its media bumps its revision, for the media lookups every
        // replica keeps in memory; the revisions themselves are kept in memory while Redis
        // pushes their changes.
        let revisions = WatchedMediaRevisions(redis: redis, logger: logger)
        let repository = RevisingVideoRepository(base: stores.repository, revisions: revisions, logger: logger)
        let storage = RevisingMediaStorage(base: stores.storage, revisions: revisions, logger: logger)
        let cache = settings.mediaCacheBytes > 0
            ? MediaCache(options: .init(root: settings.mediaCacheDirectory, limitBytes: settings.mediaCacheBytes), storage: stores.storage, logger: logger)
            : nil
        var dependencies = UploadServiceDependencies(
            repository: repository, storage: storage, tusUploads: stores.tusUploads,
            publication: VideoPublication(
                repository: repository, publisher: RedisVideoEventPublisher(redis: redis),
                outbox: MongoEventOutbox(store: store), logger: logger),
            playbackTokens: PlaybackTokens(secret: settings.playbackSecret, lifetime: settings.playbackTokenLifetime),
            verifier: verifier, quotaBytes: settings.quotaBytes, maximumUploadBytes: settings.maximumUploadBytes,
            tusExpiry: settings.tusExpiry, logger: logger, serviceToken: settings.serviceToken,
            admission: settings.admission, captionRemux: RedisCaptionRemuxRequester(redis: redis))
        dependencies.mediaCache = cache
        dependencies.mediaRevisions = revisions
        dependencies.jobs = RedisJobQueueReader(redis: redis)
        dependencies.captionRetries = RedisCaptionRetrySchedule(redis: redis)
        return (dependencies, stores)
    }
}
