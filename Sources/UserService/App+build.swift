import ClipCutCore
import Foundation
import Hummingbird
import Logging
import PostgresMigrations
import PostgresNIO
import Prometheus
import Redis
import ServiceSupport

/// Builds user-service: accounts in PostgreSQL (migrated before the server starts), bcrypt
/// password hashes, ES256 access tokens and their JWKS, login throttling and the
/// `user.deleted` outbox in Redis.
func buildApplication(
    configuration: ServiceConfiguration,
    reader: ConfigReader = ConfigReader(),
    metricsRegistry: PrometheusCollectorRegistry
) async throws -> some ApplicationProtocol {
    let settings = try UserServiceSettings(reader: reader)
    let logger = Logger(label: "user-service")
    let postgres = PostgresClient(configuration: try postgresConfiguration(settings.postgresURL), backgroundLogger: logger)
    let redis = RedisClient(configuration: try RedisConfiguration(url: settings.redisURL), logger: Logger(label: "user-service.redis"))
    let repository = PostgresUserRepository(client: postgres, logger: logger)
    let hasher = BcryptPasswordHasher(cost: settings.bcryptCost)
    let keys = try await SigningKeySet.load(settings: settings, logger: logger)
    let outbox = OutboxRelay(repository: repository, publisher: RedisEventPublisher(redis: redis), interval: .seconds(5), logger: logger)
    let revocations = RedisTokenRevocations(redis: redis)
    let dependencies = UserServiceDependencies(
        repository: repository, hasher: hasher, keys: keys,
        verifier: AccessTokenVerifier(
            keyCache: JWKSKeyCache(source: StaticJWKSSource(try keys.jwks())),
            issuer: configuration.jwtIssuer, audience: configuration.jwtAudience, revocations: revocations
        ),
        revocations: revocations,
        throttle: RedisLoginThrottle(redis: redis, policy: settings.throttle),
        outbox: outbox, tokenLifetime: settings.tokenLifetime,
        issuer: configuration.jwtIssuer, audience: configuration.jwtAudience,
        adminEmails: settings.adminEmails, trustForwardedFor: settings.trustForwardedFor
    )
    let router = buildRouter(
        dependencies: dependencies, metricsRegistry: metricsRegistry,
        readinessChecks: [
            ReadinessProbe(name: "postgresql") { try await postgres.query("SELECT 1", logger: logger) },
            ReadinessProbe(name: "redis") { try await redis.ping() },
        ]
    )
    var app = makeServiceApplication(router: router, configuration: configuration, services: [postgres, redis, hasher, outbox])
    app.beforeServerStarts {
        try await PostgresUserRepository.migrator.migrate(client: postgres, logger: logger)
    }
    return app
}

/// The router on its own, so router tests can build it with in-memory dependencies.
func buildRouter(
    dependencies: UserServiceDependencies,
    metricsRegistry: PrometheusCollectorRegistry,
    readinessChecks: [any ReadinessCheck] = []
) -> Router<ClipCutRequestContext> {
    let router = makeServiceRouter(context: ClipCutRequestContext.self, metricsRegistry: metricsRegistry, readinessChecks: readinessChecks)
    UserRoutes(dependencies: dependencies).add(to: router)
    return router
}

/// A PostgresNIO configuration from `postgres://user:password@host:port/database`.
func postgresConfiguration(_ url: URL) throws -> PostgresClient.Configuration {
    guard let configuration = PostgresClient.Configuration(url: url) else {
        throw ConfigError(key: ConfigKey.postgresURL.name, value: "(redacted)", expected: "postgres://user:password@host:port/database")
    }
    return configuration
}
