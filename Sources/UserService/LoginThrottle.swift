import ClipCutCore
import Crypto
import Foundation
import Primitives
import Redis

/// How many failed logins are allowed, and for how long they count.
struct LoginThrottlePolicy: Sendable, Equatable {
    var maximumPerEmail: Int
    var maximumPerAddress: Int
    var window: Duration
}

/// Counts login attempts per email and per client address. Counted in Redis so the limits
/// hold across replicas, and reserved before the password is checked, atomically, so that N
/// guesses sent at once cannot all pass a limit below N.
protocol LoginThrottle: Sendable {
    /// Reserves one attempt for the email and the address: `nil` when it may go ahead (and it
    /// now counts), else how long until one may (and nothing was counted).
    func reserveAttempt(email: String, address: String?) async throws -> Duration?
    /// A successful login: forgets the email's failures and gives the address its attempt back.
    func recordSuccess(email: String, address: String?) async throws
}

/// ``LoginThrottle`` over Redis: one counter per email and per address, each expiring a window
/// after its first attempt. One script checks both limits and counts the attempt, so the check
/// and the count cannot be split by a parallel request (on any replica).
struct RedisLoginThrottle: LoginThrottle {
    let redis: RedisClient
    let policy: LoginThrottlePolicy

    /// Keys carry a hash of the email, so addresses do not sit in Redis in clear.
    static func emailKey(_ email: String) -> String {
        RedisNames.loginEmailPrefix + SHA256.hash(data: Data(email.utf8)).prefix(16).hexEncoded
    }

    static func addressKey(_ address: String) -> String {
        RedisNames.loginAddressPrefix + address
    }

    /// KEYS: the counters; ARGV: their limits, then the window in ms. Returns -1 when the attempt
    /// was counted, else the longest wait (ms) among the counters at their limit.
    static let reserveScript = RedisScript("""
        local window = tonumber(ARGV[#KEYS + 1])
        local wait = -1
        for i, key in ipairs(KEYS) do
          if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i]) then
            local ttl = redis.call('PTTL', key)
            if ttl < 0 then ttl = window end
            if ttl > wait then wait = ttl end
          end
        end
        if wait >= 0 then return wait end
        for _, key in ipairs(KEYS) do
          redis.call('INCR', key)
          if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
        end
        return -1
        """)

    /// Takes one failed attempt back off a counter (never below zero).
    static let giveBackScript = RedisScript(
        "if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end return 0")

    func reserveAttempt(email: String, address: String?) async throws -> Duration? {
        var keys = [Self.emailKey(email)], limits = [String(policy.maximumPerEmail)]
        if let address {
            keys.append(Self.addressKey(address))
            limits.append(String(policy.maximumPerAddress))
        }
        let window = String(policy.window.milliseconds)
        let reply = try await redis.run(Self.reserveScript, keys: keys, arguments: limits + [window])
        guard let wait = reply.integer, wait >= 0 else { return nil }
        return .milliseconds(wait)
    }

    func recordSuccess(email: String, address: String?) async throws {
        try await redis.delete(Self.emailKey(email))
        if let address {
            _ = try await redis.run(Self.giveBackScript, keys: [Self.addressKey(address)], arguments: [])
        }
    }
}
