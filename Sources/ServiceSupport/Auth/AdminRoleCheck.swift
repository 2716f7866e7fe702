import AsyncHTTPClient
import ClipCutCore
import Foundation
import HummingbirdAuth
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Confirms that the bearer of a token is an administrator *now*. A token's `role` claim says
/// what the account was when the token was issued; an administrator demoted or disabled since
/// must not keep reading everybody's data until the token expires.
public protocol AdminRoleCheck: Sendable {
    /// Whether `user`, presenting `token`, is an administrator according to the accounts' owner.
    func isAdmin(_ user: UserID, bearer token: String) async throws -> Bool
}

extension AdminRoleCheck {
    /// Whether the request's user is an administrator: the token claims it and the check confirms.
    /// - Throws: 503 `service_unavailable` when the check cannot answer (it fails closed).
    public func confirms(_ request: Request, _ context: some AuthRequestContext<AuthenticatedUser>) async throws -> Bool {
        guard let user = context.identity, user.isAdmin,
              let token = JWTAuthenticator<ClipCutRequestContext>.bearerToken(in: request.headers)
        else { return false }
        do {
            return try await isAdmin(user.id, bearer: token)
        } catch {
            context.logger.error("cannot confirm the administrator role", metadata: ["error": "\(error)"])
            throw APIError.serviceUnavailable("Administrator rights cannot be confirmed right now.")
        }
    }
}

/// Asks user-service, whose database decides: `GET /api/users/me` with the caller's own token.
/// An answer is kept for `ttl` per user, so a demotion takes effect within `ttl`.
public final class UserServiceAdminCheck: AdminRoleCheck {
    private let client: HTTPClient
    private let meURL: String
    private let ttl: Duration
    private let clock = ContinuousClock()
    private let answers = Mutex<[UserID: (isAdmin: Bool, until: ContinuousClock.Instant)]>([:])

    /// - Parameters:
    ///   - client: the HTTP client (e.g. the verifier's).
    ///   - userService: user-service's base URL; by default the origin of `CLIPCUT_JWKS_URL`.
    ///   - ttl: how long an answer is kept.
    public init(client: HTTPClient, userService: URL, ttl: Duration = .seconds(5)) {
        self.client = client
        self.meURL = userService.appendingPathComponent("api/users/me").absoluteString
        self.ttl = ttl
    }

    /// user-service's origin, from the JWKS URL every service is configured with.
    public static func userServiceURL(fromJWKS url: URL) -> URL {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false) ?? URLComponents()
        components.path = ""
        components.query = nil
        return components.url ?? url
    }

    public func isAdmin(_ user: UserID, bearer token: String) async throws -> Bool {
        let now = clock.now
        if let cached = answers.withLock({ $0[user] }), cached.until > now { return cached.isAdmin }
        var request = HTTPClientRequest(url: meURL)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await client.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 64 * 1024)
        let isAdmin: Bool
        switch response.status.code {
        case 200:
            struct Account: Decodable { var role: String; var disabled: Bool? }
            let account = try JSONDecoder().decode(Account.self, from: Data(buffer: body))
            isAdmin = account.role == UserRole.admin.rawValue && account.disabled != true
        case 401, 403, 404, 410:
            isAdmin = false  // revoked, disabled or deleted
        default:
            throw APIError.serviceUnavailable("user-service answered \(response.status.code)")
        }
        answers.withLock { $0[user] = (isAdmin, now.advanced(by: ttl)) }
        return isAdmin
    }
}

/// An ``AdminRoleCheck`` that knows its administrators (tests, tools).
public final class KnownAdmins: AdminRoleCheck {
    private let admins: Mutex<Set<UserID>>

    /// Starts with `admins`.
    public init(_ admins: Set<UserID> = []) { self.admins = Mutex(admins) }

    /// Makes `user` an administrator (`true`) or not.
    public func set(_ user: UserID, admin: Bool) {
        admins.withLock { admins in
            if admin { admins.insert(user) } else { admins.remove(user) }
        }
    }

    public func isAdmin(_ user: UserID, bearer token: String) async throws -> Bool {
        admins.withLock { $0.contains(user) }
    }
}

/// Refuses requests whose user is not an administrator now (token claim and ``AdminRoleCheck``):
/// 403 `forbidden`. Put it after ``RequireAuthenticationMiddleware``.
public struct ConfirmAdminMiddleware<Context: AuthRequestContext<AuthenticatedUser>>: RouterMiddleware {
    let check: any AdminRoleCheck

    /// Creates the middleware.
    public init(check: any AdminRoleCheck) { self.check = check }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard context.identity != nil else { throw APIError.unauthorized() }
        guard try await check.confirms(request, context) else { throw APIError.forbidden() }
        return try await next(request, context)
    }
}
