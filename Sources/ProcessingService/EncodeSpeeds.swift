import ClipCutCore
import Foundation
import Redis
import Synchronization

/// The speed (media seconds per wall second) this server's ladder encodes reached, by the
/// ladder's top rung, for the first estimates of the next encode's time left
/// (``EncodeTimeEstimate``). Shared by every worker through Redis.
protocol EncodeSpeeds: Sendable {
    /// The recent speed of encodes whose top rung is `height` lines, if any was measured.
    func speed(topRung height: Int) async -> Double?
    /// Records a finished encode's speed.
    func record(_ speed: Double, topRung height: Int) async
}

extension EncodeSpeeds {
    /// The moving average after `speed`: the last few encodes weigh most.
    static func blended(_ old: Double?, _ speed: Double) -> Double {
        old.map { 0.7 * $0 + 0.3 * speed } ?? speed
    }
}

/// ``EncodeSpeeds`` in the hash ``RedisNames/encodeSpeeds``. A lost race between two workers
/// loses one sample, which an average can spare; Redis being down only costs the prior.
struct RedisEncodeSpeeds: EncodeSpeeds {
    let redis: RedisClient

    func speed(topRung height: Int) async -> Double? {
        guard let value = try? await redis.execute(["HGET", RedisNames.encodeSpeeds, String(height)]).string else { return nil }
        return Double(value).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
    }

    func record(_ speed: Double, topRung height: Int) async {
        guard speed.isFinite, speed > 0 else { return }
        let next = Self.blended(await self.speed(topRung: height), speed)
        _ = try? await redis.execute(["HSET", RedisNames.encodeSpeeds, String(height), String(next)])
    }
}

/// The in-memory twin of ``RedisEncodeSpeeds``.
final class MemoryEncodeSpeeds: EncodeSpeeds {
    private let speeds = Mutex<[Int: Double]>([:])

    func speed(topRung height: Int) async -> Double? { speeds.withLock { $0[height] } }

    func record(_ speed: Double, topRung height: Int) async {
        guard speed.isFinite, speed > 0 else { return }
        speeds.withLock { $0[height] = Self.blended($0[height], speed) }
    }
}
