#if canImport(Glibc)
import Primitives
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ClipCutCore
import Foundation
import Hummingbird
import Logging
import ServiceSupport

/// What user-service's routes need, each behind a small protocol so router tests can use
/// in-memory stand-ins.
struct UserServiceDependencies: Sendable {
    var repository: any UserRepository
    var hasher: BcryptPasswordHasher
    var keys: SigningKeySet
    var verifier: AccessTokenVerifier
    /// Where a password change or a deletion voids the user's older tokens (`nil`: nowhere).
    var revocations: (any TokenRevocations)? = nil
    var throttle: any LoginThrottle
    var outbox: OutboxRelay
    var tokenLifetime: Duration
    var issuer: String
    var audience: String
    var adminEmails: Set<String>
    var trustForwardedFor: Bool
}

struct RegisterRequest: Decodable, Sendable {
    var email: String
    var password: String
    var displayName: String
}

struct LoginRequest: Decodable, Sendable {
    var email: String
    var password: String
}

struct UpdateMeRequest: Decodable, Sendable {
    var displayName: String?
    var password: String?
    var currentPassword: String?
}

struct SessionResponse: Encodable, Sendable {
    var token: String
    var tokenType = "Bearer"
    var expiresAt: Date
    var user: UserResponse
}

struct UserListResponse: Encodable, Sendable {
    var users: [UserResponse]
    var nextCursor: String?
}

/// The routes under `/api`: registration, login, the caller's account, the JWKS, the admin list.
struct UserRoutes: Sendable {
    let dependencies: UserServiceDependencies

    static let invalidCredentials = APIError(.unauthorized, code: "invalid_credentials", message: "The email or password is wrong.")
    static let accountGone = APIError(.unauthorized, code: "unauthorized", message: "This account no longer exists.")
    static let accountDisabled = APIError(.forbidden, code: "account_disabled", message: "This account is disabled.")

    func add(to router: Router<ClipCutRequestContext>) {
        let api = router.group("api")
        api.get("auth/jwks") { _, _ in try jwks() }
        api.get("users/openapi.yaml") { _, _ in try OpenAPIDocument.service.response() }
        api.post("users") { request, context in try await register(request, context) }
        api.post("sessions") { request, context in try await login(request, context) }

        let me = router.authenticatedGroup("api/users/me", verifier: dependencies.verifier)
        me.get { _, context in try await currentUser(context) }
        me.patch { request, context in try await updateMe(request, context) }
        me.delete { _, context in try await deleteMe(context) }

        router.authenticatedGroup("api/users", verifier: dependencies.verifier)
            .add(middleware: RequireAdminMiddleware())
            .get { request, context in try await listUsers(request, context) }
    }

    func jwks() throws -> Response {
        let body = try dependencies.keys.jwksJSON()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "public, max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    func register(_ request: Request, _ context: ClipCutRequestContext) async throws -> Response {
        let body = try await request.decode(as: RegisterRequest.self, context: context)
        let email = try EmailAddress(body.email)
        try PasswordPolicy.validate(body.password)
        let displayName = try DisplayName.validate(body.displayName)
        let now = JSONCoding.normalized(Date())
        let user = UserRecord(
            id: .random(), email: email.value, displayName: displayName,
            passwordHash: try await dependencies.hasher.hash(body.password),
            role: try await initialRole(for: email.value, logger: context.logger),
            disabled: false, createdAt: now, updatedAt: now
        )
        do {
            try await dependencies.repository.create(user)
        } catch UserRepositoryError.emailTaken {
            throw APIError(.conflict, code: "email_taken", message: "An account with this email already exists.")
        }
        context.logger.info("account registered", metadata: ["user": "\(user.id)"])
        var response = jsonResponse(UserResponse(user), status: .created)
        response.headers[.location] = "/api/users/me"
        return response
    }

    /// `admin` only for an email in `CLIPCUT_ADMIN_EMAILS` while no administrator exists yet (the
    /// first one bootstraps the platform); otherwise `user`. An unverified registration can
    /// therefore never take over an existing platform by claiming a listed address.
    func initialRole(for email: String, logger: Logger) async throws -> UserRole {
        guard dependencies.adminEmails.contains(email) else { return .user }
        guard try await dependencies.repository.countAdmins() == 0 else {
            logger.warning("a listed admin email registered while an admin exists; given the user role")
            return .user
        }
        return .admin
    }

    func login(_ request: Request, _ context: ClipCutRequestContext) async throws -> Response {
        let body = try await request.decode(as: LoginRequest.self, context: context)
        let email = try EmailAddress(body.email).value
        guard body.password.utf8.count <= PasswordPolicy.maximumBytes else { throw Self.invalidCredentials }
        let address = clientAddress(request, context)
        // The attempt is counted before the password is checked: parallel guesses cannot pass the limit.
        if let wait = try await dependencies.throttle.reserveAttempt(email: email, address: address) {
            let seconds = wait.wholeSecondsRoundedUp(minimum: 1)
            var headers = HTTPFields()
            headers[.retryAfter] = String(seconds)
            throw APIError(.tooManyRequests, code: "too_many_attempts", message: "Too many failed logins. Try again in \(seconds) seconds.", headers: headers)
        }
        let user = try await dependencies.repository.user(email: email)
        let matches = if let user {
            try await dependencies.hasher.verify(body.password, against: user.passwordHash)
        } else {
            try await dependencies.hasher.verifyDecoy(body.password)
        }
        guard let user, matches else { throw Self.invalidCredentials }  // the attempt stays counted
        guard !user.disabled else { throw Self.accountDisabled }
        try await dependencies.throttle.recordSuccess(email: email, address: address)
        let issuedAt = JSONCoding.normalized(Date())
        let expiresAt = issuedAt.addingTimeInterval(Double(dependencies.tokenLifetime.components.seconds))
        let claims = AccessTokenClaims(
            user: user.id, role: user.role, issuer: dependencies.issuer, audience: dependencies.audience,
            issuedAt: issuedAt, expiresAt: expiresAt
        )
        let token = try await dependencies.keys.sign(claims)
        return jsonResponse(SessionResponse(token: token, expiresAt: expiresAt, user: UserResponse(user)))
    }

    /// The account of the token's user: 401 when it was deleted, 403 when disabled.
    private func activeUser(_ context: ClipCutRequestContext) async throws -> UserRecord {
        let identity = try context.requireUser()
        guard let user = try await dependencies.repository.user(id: identity.id) else { throw Self.accountGone }
        guard !user.disabled else { throw Self.accountDisabled }
        return user
    }

    func currentUser(_ context: ClipCutRequestContext) async throws -> Response {
        jsonResponse(UserResponse(try await activeUser(context)))
    }

    func updateMe(_ request: Request, _ context: ClipCutRequestContext) async throws -> Response {
        let user = try await activeUser(context)
        let body = try await request.decode(as: UpdateMeRequest.self, context: context)
        var update = UserUpdate()
        if let name = body.displayName {
            update.displayName = try DisplayName.validate(name)
        }
        if let password = body.password {
            guard let current = body.currentPassword, current.utf8.count <= PasswordPolicy.maximumBytes,
                  try await dependencies.hasher.verify(current, against: user.passwordHash)
            else {
                throw APIError(.forbidden, code: "wrong_current_password", message: "The current password is missing or wrong.")
            }
            try PasswordPolicy.validate(password)
            update.passwordHash = try await dependencies.hasher.hash(password)
        }
        guard update != UserUpdate() else {
            throw APIError.badRequest("Nothing to change: send displayName, or password with currentPassword.")
        }
        let changedAt = JSONCoding.normalized(Date())
        guard let updated = try await dependencies.repository.update(id: user.id, update, at: changedAt) else {
            throw Self.accountGone
        }
        if update.passwordHash != nil {
            // Every token issued before the change stops working on every service (within a second).
            try await dependencies.revocations?.revoke(user.id, before: changedAt, lifetime: dependencies.tokenLifetime)
        }
        return jsonResponse(UserResponse(updated))
    }

    func deleteMe(_ context: ClipCutRequestContext) async throws -> Response {
        let user = try await activeUser(context)
        let event = try UserDeletedEvent(userId: user.id).jsonString()
        guard try await dependencies.repository.delete(id: user.id, outboxMessage: event) else { throw Self.accountGone }
        try await dependencies.revocations?.revoke(user.id, before: Date().addingTimeInterval(1), lifetime: dependencies.tokenLifetime)
        context.logger.info("account deleted", metadata: ["user": "\(user.id)"])
        await dependencies.outbox.flush()
        return Response(status: .noContent)
    }

    func listUsers(_ request: Request, _ context: ClipCutRequestContext) async throws -> Response {
        // The token's role may be stale (demoted, disabled, deleted): the account decides.
        guard try await activeUser(context).role == .admin else { throw APIError.forbidden() }
        let limitText = request.uri.queryParameters["limit"].map(String.init)
        let limit = try limitText.map { text throws(APIError) -> Int in
            guard let value = Int(text), (1...100).contains(value) else {
                throw APIError.badRequest("limit must be a whole number from 1 to 100.")
            }
            return value
        } ?? 50
        let cursor = try request.uri.queryParameters["cursor"].map { text throws(APIError) -> UserCursor in
            guard let cursor = UserCursor(token: String(text)) else { throw APIError.badRequest("The cursor is not valid.") }
            return cursor
        }
        let page = try await dependencies.repository.list(after: cursor, limit: limit)
        return jsonResponse(UserListResponse(users: page.users.map(UserResponse.init), nextCursor: page.next?.token))
    }

    /// The client's address. Behind the ClipCut edge (`CLIPCUT_TRUST_FORWARDED_FOR`) it is the
    /// right-most `X-Forwarded-For` entry — the one the proxy appended; entries to its left are the
    /// client's own words and could be anything. Only a well-formed IP address is accepted.
    func clientAddress(_ request: Request, _ context: ClipCutRequestContext) -> String? {
        if dependencies.trustForwardedFor,
           let forwarded = request.headers.first(where: { $0.name.canonicalName == "x-forwarded-for" })?.value,
           let last = forwarded.split(separator: ",").last.map({ $0.trimmingCharacters(in: .whitespaces) }),
           Self.isIPAddress(last) {
            return last
        }
        return context.remoteAddress
    }

    /// Whether `text` is an IPv4 or IPv6 address (inet_pton).
    static func isIPAddress(_ text: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return text.utf8.count <= 45 && (inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1)
    }
}
