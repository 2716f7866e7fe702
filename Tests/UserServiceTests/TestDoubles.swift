import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import Prometheus
import ServiceSupport
import Synchronization
import Testing

@testable import UserService

/// Accounts in memory, with the same rules as PostgreSQL (case-insensitive unique email).
final class InMemoryUserRepository: UserRepository {
    private let state = Mutex<(users: [UserID: UserRecord], outbox: [OutboxEntry], nextOutboxID: Int64)>(([:], [], 1))

    var count: Int { state.withLock { $0.users.count } }

    func create(_ user: UserRecord) async throws {
        try state.withLock { state in
            if state.users.values.contains(where: { $0.email.lowercased() == user.email.lowercased() }) {
                throw UserRepositoryError.emailTaken
            }
            state.users[user.id] = user
        }
    }

    func user(id: UserID) async throws -> UserRecord? {
        state.withLock { $0.users[id] }
    }

    func user(email: String) async throws -> UserRecord? {
        state.withLock { $0.users.values.first { $0.email.lowercased() == email.lowercased() } }
    }

    func update(id: UserID, _ update: UserUpdate, at: Date) async throws -> UserRecord? {
        state.withLock { state in
            guard var user = state.users[id] else { return nil }
            user.displayName = update.displayName ?? user.displayName
            user.passwordHash = update.passwordHash ?? user.passwordHash
            user.updatedAt = at
            state.users[id] = user
            return user
        }
    }

    func setDisabled(_ id: UserID) {
        state.withLock { $0.users[id]?.disabled = true }
    }

    func delete(id: UserID, outboxMessage: String) async throws -> Bool {
        state.withLock { state in
            guard state.users.removeValue(forKey: id) != nil else { return false }
            state.outbox.append(OutboxEntry(id: state.nextOutboxID, message: outboxMessage))
            state.nextOutboxID += 1
            return true
        }
    }

    func pendingOutbox(limit: Int) async throws -> [OutboxEntry] {
        state.withLock { Array($0.outbox.prefix(limit)) }
    }

    func markOutboxSent(id: Int64, entryID: String, at: Date) async throws {
        state.withLock { state in
            if let index = state.outbox.firstIndex(where: { $0.id == id }) {
                state.outbox[index].sentID = entryID
                state.outbox[index].sentAt = at
            }
        }
    }

    func removeOutbox(id: Int64) async throws {
        state.withLock { $0.outbox.removeAll { $0.id == id } }
    }

    func countAdmins() async throws -> Int {
        state.withLock { $0.users.values.filter { $0.role == .admin }.count }
    }

    func list(after cursor: UserCursor?, limit: Int) async throws -> UserPage {
        let sorted = state.withLock { $0.users.values }.sorted {
            ($0.createdAt, $0.id.description) < ($1.createdAt, $1.id.description)
        }
        let remaining = sorted.filter { user in
            guard let cursor else { return true }
            return (user.createdAt, user.id.description) > (cursor.createdAt, cursor.id.description)
        }
        let page = Array(remaining.prefix(limit))
        let next = remaining.count > limit ? page.last.map { UserCursor(createdAt: $0.createdAt, id: $0.id) } : nil
        return UserPage(users: page, next: next)
    }
}

/// Login attempt counting in memory, with the same rules as the Redis throttle (no expiry):
/// checked and counted under one lock.
final class InMemoryLoginThrottle: LoginThrottle {
    let policy: LoginThrottlePolicy
    private let counts = Mutex<[String: Int]>([:])

    init(policy: LoginThrottlePolicy) { self.policy = policy }

    func reserveAttempt(email: String, address: String?) async throws -> Duration? {
        counts.withLock { counts in
            let byEmail = counts["e:" + email, default: 0] >= policy.maximumPerEmail
            let byAddress = address.map { counts["a:" + $0, default: 0] >= policy.maximumPerAddress } ?? false
            if byEmail || byAddress { return policy.window }
            counts["e:" + email, default: 0] += 1
            if let address { counts["a:" + address, default: 0] += 1 }
            return nil
        }
    }

    func recordSuccess(email: String, address: String?) async throws {
        counts.withLock { counts in
            counts.removeValue(forKey: "e:" + email)
            if let address, let count = counts["a:" + address], count > 0 { counts["a:" + address] = count - 1 }
        }
    }
}

/// Keeps what was published.
final class RecordingEventPublisher: EventPublisher {
    private let published = Mutex<[(id: String, json: String)]>([])
    private let counter = Mutex(0)

    var messages: [String] { published.withLock { $0.map(\.json) } }

    func publishRaw(_ json: String) async throws -> String {
        let id = counter.withLock { count in
            count += 1
            return "\(count)-0"
        }
        published.withLock { $0.append((id, json)) }
        return id
    }

    func contains(_ id: String) async throws -> Bool {
        published.withLock { $0.contains { $0.id == id } }
    }

    /// Drops every entry, as a Redis crash that lost its last second.
    func loseEverything() {
        published.withLock { $0.removeAll() }
    }
}

/// The pieces of a user-service under test, with fast bcrypt (cost 4).
struct TestUserService {
    let repository: any UserRepository
    let throttle: any LoginThrottle
    let publisher: any EventPublisher
    let keys: SigningKeySet
    let dependencies: UserServiceDependencies

    static let policy = LoginThrottlePolicy(maximumPerEmail: 5, maximumPerAddress: 20, window: .seconds(900))

    init(
        repository: any UserRepository = InMemoryUserRepository(),
        throttle: (any LoginThrottle)? = nil,
        publisher: any EventPublisher = RecordingEventPublisher(),
        adminEmails: Set<String> = [],
        trustForwardedFor: Bool = true,
        tokenLifetime: Duration = .seconds(3600)
    ) async throws {
        let keys = try await SigningKeySet(privateKeys: [ES256PrivateKey()])
        let throttle = throttle ?? InMemoryLoginThrottle(policy: Self.policy)
        self.repository = repository
        self.throttle = throttle
        self.publisher = publisher
        self.keys = keys
        self.dependencies = UserServiceDependencies(
            repository: repository, hasher: BcryptPasswordHasher(cost: 4, threads: 2), keys: keys,
            verifier: AccessTokenVerifier(
                keyCache: JWKSKeyCache(source: StaticJWKSSource(try keys.jwks())), issuer: "clipcut", audience: "clipcut"
            ),
            throttle: throttle,
            outbox: OutboxRelay(repository: repository, publisher: publisher, interval: .seconds(60), logger: Logger(label: "test")),
            tokenLifetime: tokenLifetime, issuer: "clipcut", audience: "clipcut",
            adminEmails: adminEmails, trustForwardedFor: trustForwardedFor
        )
    }

    func application() -> some ApplicationProtocol {
        Application(router: buildRouter(dependencies: dependencies, metricsRegistry: PrometheusCollectorRegistry()))
    }
}

// MARK: HTTP helpers

// swiftlint:disable:next force_unwrapping
let xForwardedFor = HTTPField.Name("X-Forwarded-For")!

func jsonBody(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
}

func decodeJSON(_ response: TestResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]) ?? [:]
}

/// The `error.code` of a JSON error body, or `nil` if the body is not one.
func errorCode(_ response: TestResponse) -> String? {
    (decodeJSON(response)["error"] as? [String: Any])?["code"] as? String
}

func bearer(_ token: String) -> HTTPFields {
    [.authorization: "Bearer \(token)"]
}

extension TestClientProtocol {
    /// Registers an account and returns the response.
    @discardableResult
    func register(_ email: String, password: String = "correct horse battery", name: String = "Test User") async throws -> TestResponse {
        try await execute(uri: "/api/users", method: .post, body: jsonBody(["email": email, "password": password, "displayName": name]))
    }

    /// Logs in and returns the response. Without `address`, each call comes from its own random
    /// documentation address, so per-address throttling (which the Redis tests share across
    /// runs) only counts where a test means it to.
    func login(_ email: String, password: String = "correct horse battery", from address: String? = nil) async throws -> TestResponse {
        let address = address ?? "2001:db8::\(String(UInt16.random(in: 1...UInt16.max), radix: 16))"
        return try await execute(
            uri: "/api/sessions", method: .post, headers: [xForwardedFor: address],
            body: jsonBody(["email": email, "password": password])
        )
    }

    /// Registers, logs in and returns the token.
    func token(for email: String, password: String = "correct horse battery") async throws -> String {
        try await register(email, password: password)
        let response = try await login(email, password: password)
        return try #require(decodeJSON(response)["token"] as? String)
    }
}
