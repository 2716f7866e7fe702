import ClipCutCore
import Hummingbird
import HummingbirdAuth
import Logging

/// Authenticates requests carrying `Authorization: Bearer <access token>`.
///
/// - No `Authorization` header, or one with another scheme: the request goes on unauthenticated
///   (a later middleware such as ``RequireAuthenticationMiddleware`` decides whether that is fine).
/// - A bearer token that fails verification: 401 `unauthorized` with
///   `WWW-Authenticate: Bearer error="invalid_token"`; the reason is logged, not sent.
/// - No key set could ever be fetched from user-service: 503 `service_unavailable`.
/// - A valid token: `context.identity` is the ``AuthenticatedUser``.
///
/// ```swift
/// let api = router.group("api")
///     .add(middleware: JWTAuthenticator(verifier: verifier))
///     .add(middleware: RequireAuthenticationMiddleware())
/// ```
public struct JWTAuthenticator<Context: AuthRequestContext<AuthenticatedUser>>: AuthenticatorMiddleware {
    /// The identity this authenticator produces.
    public typealias Identity = AuthenticatedUser

    /// The verifier used.
    public let verifier: AccessTokenVerifier

    /// Creates the authenticator.
    public init(verifier: AccessTokenVerifier) {
        self.verifier = verifier
    }

    /// The user of a valid bearer token; `nil` when there is no bearer token.
    public func authenticate(request: Request, context: Context) async throws -> AuthenticatedUser? {
        guard let token = Self.bearerToken(in: request.headers) else { return nil }
        do {
            return try await verifier.verify(token)
        } catch TokenRejection.keysUnavailable {
            context.logger.error("cannot verify access tokens: no JWKS available")
            throw APIError.serviceUnavailable("Authentication is temporarily unavailable.")
        } catch {
            context.logger.info("access token rejected", metadata: ["reason": .string(String(describing: error))])
            throw APIError.unauthorized("The access token is invalid or expired.", invalidToken: true)
        }
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme matched case-insensitively);
    /// `nil` when there is no such header.
    static func bearerToken(in headers: HTTPFields) -> String? {
        guard let authorization = headers[.authorization] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

/// Refuses requests that no authenticator authenticated: 401 `unauthorized` with
/// `WWW-Authenticate: Bearer` and the JSON error body.
public struct RequireAuthenticationMiddleware<Context: AuthRequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Passes authenticated requests on; throws 401 for the rest.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard context.identity != nil else {
            throw APIError.unauthorized()
        }
        return try await next(request, context)
    }
}

/// Refuses authenticated users who are not administrators: 403 `forbidden`.
/// Put it after ``RequireAuthenticationMiddleware``.
public struct RequireAdminMiddleware<Context: AuthRequestContext<AuthenticatedUser>>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Passes administrators on; throws 401 when unauthenticated and 403 for other users.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let user = context.identity else { throw APIError.unauthorized() }
        guard user.isAdmin else { throw APIError.forbidden() }
        return try await next(request, context)
    }
}

extension RouterMethods where Context: AuthRequestContext<AuthenticatedUser> {
    /// A route group under `path` whose routes require a valid access token: ``JWTAuthenticator``
    /// followed by ``RequireAuthenticationMiddleware``.
    ///
    /// ```swift
    /// let videos = router.authenticatedGroup("api/videos", verifier: verifier)
    /// videos.get(":id") { request, context in let user = try context.requireUser(); … }
    /// ```
    public func authenticatedGroup(_ path: RouterPath = "", verifier: AccessTokenVerifier) -> RouterGroup<Context> {
        group(path)
            .add(middleware: JWTAuthenticator<Context>(verifier: verifier))
            .add(middleware: RequireAuthenticationMiddleware<Context>())
    }
}
