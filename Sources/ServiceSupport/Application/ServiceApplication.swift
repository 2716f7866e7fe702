import AsyncHTTPClient
import ClipCutCore
import Hummingbird
import Logging
import ServiceLifecycle

/// Creates the `Application` of a ClipCut service from its router.
///
/// - It listens on `configuration.host`:`configuration.port` and sends the service's name in the
///   `Server` header.
/// - `services` (database clients, consumers, the ``HTTPClientService`` of a JWKS client …) run in
///   the application's ServiceGroup: started before the server accepts requests and shut down
///   gracefully after it stops, in reverse order.
/// - `logger` defaults to one labelled with the service's name.
/// - A path that exists only with other methods answers 405 with `Allow` (``MethodNotAllowedMiddleware``).
///
/// Run it with `try await app.runService()` (graceful shutdown on SIGTERM and SIGINT).
public func makeServiceApplication<Context: RequestContext>(
    router: Router<Context>,
    configuration: ServiceConfiguration,
    services: [any Service] = [],
    logger: Logger? = nil
) -> Application<RouterResponder<Context>> where Context.Source == ApplicationRequestContextSource {
    var serviceLogger = logger ?? Logger(label: configuration.service.executableName)
    if logger == nil {
        serviceLogger.logLevel = configuration.logLevel
    }
    router.answerOtherMethodsWith405()  // after every route: see MethodNotAllowedMiddleware
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: configuration.service.executableName
        ),
        services: services,
        logger: serviceLogger
    )
}

/// Owns an `HTTPClient` for the life of the application: waits for graceful shutdown, then shuts
/// the client down. Put it in the application's `services`.
public struct HTTPClientService: Service {
    /// The client.
    public let client: HTTPClient

    /// Wraps `client`; the service becomes responsible for shutting it down.
    public init(client: HTTPClient) {
        self.client = client
    }

    /// Waits for graceful shutdown (or cancellation), then shuts the client down.
    public func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

extension AccessTokenVerifier {
    /// A verifier that fetches the JWKS from `configuration.jwksURL` with its own `HTTPClient`,
    /// checking `configuration.jwtIssuer` and `configuration.jwtAudience`.
    ///
    /// Add the returned `httpClientService` to the application's services, so the client is shut
    /// down with the application:
    ///
    /// ```swift
    /// let auth = AccessTokenVerifier.live(configuration: configuration)
    /// let app = makeServiceApplication(router: router, configuration: configuration,
    ///                                  services: [auth.httpClientService])
    /// ```
    public static func live(
        configuration: ServiceConfiguration,
        revocations: (any TokenRevocations)? = nil,
        logger: Logger = Logger(label: "clipcut.auth")
    ) -> (verifier: AccessTokenVerifier, httpClientService: HTTPClientService) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let source = HTTPJWKSSource(url: configuration.jwksURL, httpClient: client)
        let verifier = AccessTokenVerifier(
            keyCache: JWKSKeyCache(source: source, logger: logger),
            issuer: configuration.jwtIssuer,
            audience: configuration.jwtAudience,
            logger: logger,
            revocations: revocations
        )
        return (verifier, HTTPClientService(client: client))
    }
}
