import Primitives
import Foundation

/// A member taken from a schedule (a sorted set scored by when each member is due).
public struct RedisLease: Sendable, Equatable {
    /// The member taken.
    public var member: String
    /// The score it was given when taken: due again then, unless finished before.
    public var leaseEnd: String

    /// A lease of `member` that ends at score `leaseEnd`.
    public init(member: String, leaseEnd: String) {
        self.member = member
        self.leaseEnd = leaseEnd
    }
}

extension RedisClient {
    /// Takes one member of the schedule `key` that is due at `now`, atomically (one worker gets
    /// it), and leases it for `lease`: it stays in the schedule, due again when the lease ends, so
    /// a worker that dies while running it loses nothing.
    public func takeDue(from key: String, now: Date = Date(), lease: Duration) async throws -> RedisLease? {
        let leaseEnd = String(now.addingTimeInterval(lease.seconds).timeIntervalSince1970)
        let reply = try await run(LeaseScripts.takeDue, keys: [key], arguments: [String(now.timeIntervalSince1970), leaseEnd])
        return reply.string.map { RedisLease(member: $0, leaseEnd: leaseEnd) }
    }

    /// Removes a leased member once it ran, unless it was scheduled again meanwhile (then its
    /// score is no longer the lease's and it runs once more).
    public func finish(_ lease: RedisLease, in key: String) async throws {
        _ = try await run(LeaseScripts.finish, keys: [key], arguments: [lease.member, lease.leaseEnd])
    }
}

/// The schedule scripts, loaded once per process.
enum LeaseScripts {
    static let takeDue = RedisScript("""
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
        if #due == 0 then return false end
        redis.call('ZADD', KEYS[1], ARGV[2], due[1])
        return due[1]
        """)
    static let finish = RedisScript(
        "if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1') == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end return 0")
}
