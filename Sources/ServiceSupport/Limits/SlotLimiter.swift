import Synchronization

/// Bounds how many of something (upload bodies, live feeds) run at once on one replica: at
/// most `perKey` for one key (a user) and, when set, at most `total` for everybody.
///
/// ``acquire(_:)`` never waits: a caller that gets ``Refusal`` answers 429 with `Retry-After`
/// at once instead of queueing a connection. Every successful `acquire` needs one `release`.
public final class SlotLimiter<Key: Hashable & Sendable>: Sendable {
    /// Why a slot was refused.
    public enum Refusal: Error, Sendable, Equatable {
        /// The key holds `perKey` slots already.
        case keyFull
        /// The replica holds `total` slots already.
        case totalFull
    }

    /// Slots one key may hold.
    public let perKey: Int
    /// Slots everybody together may hold, or `nil` for no bound.
    public let total: Int?
    private let state = Mutex<(byKey: [Key: Int], total: Int)>(([:], 0))

    /// Creates a limiter; limits below one are raised to one.
    public init(perKey: Int, total: Int? = nil) {
        self.perKey = max(1, perKey)
        self.total = total.map { max(1, $0) }
    }

    /// Takes a slot for `key`, or says which bound refused it.
    public func acquire(_ key: Key) -> Result<Void, Refusal> {
        state.withLock { state in
            if let total, state.total >= total { return .failure(.totalFull) }
            guard state.byKey[key, default: 0] < perKey else { return .failure(.keyFull) }
            state.byKey[key, default: 0] += 1
            state.total += 1
            return .success(())
        }
    }

    /// Gives a slot of `key` back.
    public func release(_ key: Key) {
        state.withLock { state in
            guard let held = state.byKey[key] else { return }
            state.byKey[key] = held > 1 ? held - 1 : nil
            state.total -= 1
        }
    }

    /// Runs `body` holding a slot of `key`, or throws the ``Refusal`` without running it.
    public func withSlot<T>(_ key: Key, _ body: () async throws -> T) async throws -> T {
        try acquire(key).get()
        defer { release(key) }
        return try await body()
    }

    /// Slots `key` holds now.
    public func count(_ key: Key) -> Int { state.withLock { $0.byKey[key, default: 0] } }

    /// Slots held now by everybody.
    public var inUse: Int { state.withLock { $0.total } }
}
