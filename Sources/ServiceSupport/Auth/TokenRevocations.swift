import ClipCutCore
import Foundation
import Logging
import Redis
import Synchronization

/// "Tokens of this user issued before T are void": written by user-service when a password
/// changes or an account is deleted, honoured by every service's ``AccessTokenVerifier``, so an
/// old access token stops working within a second instead of at its expiry.
public protocol TokenRevocations: Sendable {
    /// The time (to the millisecond, as tokens' `iat`) before which the user's tokens are void, if any. Never throws: when the
    /// answer cannot be had, the last one known (or none) stands, and the failure is logged.
    func revokedBefore(_ user: UserID) async -> Date?
    /// Voids the user's tokens issued before `date` (kept for `lifetime`, the longest a token lives).
    func revoke(_ user: UserID, before date: Date, lifetime: Duration) async throws
}

/// ``TokenRevocations`` in Redis (`clipcut:tokens:revoked-before:<user>`, seconds since 1970 to
/// the millisecond, as user-service writes `iat`), each answer cached for `cacheFor` (1 s) so a busy service asks Redis once a second per
/// user at most.
public final class RedisTokenRevocations: TokenRevocations {
    let redis: RedisClient
    let cacheFor: Duration
    let logger: Logger
    private let cache = Mutex<[UserID: (value: Date?, fetched: ContinuousClock.Instant)]>([:])

    /// Creates the store.
    public init(redis: RedisClient, cacheFor: Duration = .seconds(1), logger: Logger = Logger(label: "clipcut.auth")) {
        self.redis = redis
        self.cacheFor = cacheFor
        self.logger = logger
    }

    public func revokedBefore(_ user: UserID) async -> Date? {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[user] }), now - cached.fetched < cacheFor { return cached.value }
        do {
            let value = try await redis.get(RedisNames.tokensRevokedBefore(user)).flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
            cache.withLock { cache in
                if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
                cache[user] = (value, now)
            }
            return value
        } catch {
            logger.warning("token revocations unavailable", metadata: ["error": "\(error)"])
            return cache.withLock { $0[user]?.value }
        }
    }

    public func revoke(_ user: UserID, before date: Date, lifetime: Duration) async throws {
        let seconds = String(format: "%.3f", date.timeIntervalSince1970)
        _ = try await redis.set(RedisNames.tokensRevokedBefore(user), to: seconds, expiresIn: lifetime + .seconds(60))
        cache.withLock { $0[user] = nil }
    }
}
