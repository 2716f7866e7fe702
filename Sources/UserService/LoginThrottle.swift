import ClipCutCore
import Crypto
import Foundation
import Redis

/// How many failed logins are allowed, and for how long they count.
struct LoginThrottlePolicy: Sendable, Equatable {
    var maximumPerEmail: Int
    var maximumPerAddress: Int
    var window: Duration
}

/// Counts failed logins per email and per client address. Counted in Redis so the limits
/// hold across replicas.
protocol LoginThrottle: Sendable {
    /// `nil` when a login may be tried; else how long until it may.
    func retryAfter(email: String, address: String?) async throws -> Duration?
    /// Counts a failed attempt.
    func recordFailure(email: String, address: String?) async throws
    /// Forgets the email's failures after a successful login.
    func recordSuccess(email: String) async throws
}

/// ``LoginThrottle`` over Redis: one counter per email and per address, each expiring a window
/// after its first failure (`INCR`, then `PEXPIRE` on the first).
struct RedisLoginThrottle: LoginThrottle {
    let redis: RedisClient
    let policy: LoginThrottlePolicy

    /// Keys carry a hash of the email, so addresses do not sit in Redis in clear.
    static func emailKey(_ email: String) -> String {
        "clipcut:login:email:" + SHA256.hash(data: Data(email.utf8)).prefix(16).hexEncoded
    }

    static func addressKey(_ address: String) -> String {
        "clipcut:login:address:\(address)"
    }

    func retryAfter(email: String, address: String?) async throws -> Duration? {
        var checks = [(Self.emailKey(email), policy.maximumPerEmail)]
        if let address { checks.append((Self.addressKey(address), policy.maximumPerAddress)) }
        var wait: Duration?
        for (key, limit) in checks {
            guard let count = try await redis.get(key).flatMap(Int.init), count >= limit else { continue }
            let remaining = try await redis.timeToLive(key) ?? policy.window
            wait = max(wait ?? .zero, remaining)
        }
        return wait
    }

    func recordFailure(email: String, address: String?) async throws {
        var keys = [Self.emailKey(email)]
        if let address { keys.append(Self.addressKey(address)) }
        // One script, so a counter can never be left without its expiry (a lock-out forever).
        let script = "local n = redis.call('INCR', KEYS[1]) if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n"
        let window = String(Int(policy.window.components.seconds) * 1000)
        for key in keys {
            _ = try await redis.execute(["EVAL", script, "1", key, window])
        }
    }

    func recordSuccess(email: String) async throws {
        try await redis.delete(Self.emailKey(email))
    }
}
