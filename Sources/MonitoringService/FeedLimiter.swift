import ClipCutCore
import Synchronization

/// How many live-progress feeds one user may hold open on this replica at once: a client that
/// opens feeds without end would otherwise hold connections and hub slots without end.
final class FeedLimiter: Sendable {
    /// Feeds per user (`CLIPCUT_FEEDS_PER_USER`).
    let limit: Int
    private let open = Mutex<[UserID: Int]>([:])

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a slot for `user`; `false` when the user already holds `limit` feeds.
    func acquire(_ user: UserID) -> Bool {
        open.withLock { open in
            guard open[user, default: 0] < limit else { return false }
            open[user, default: 0] += 1
            return true
        }
    }

    /// Gives a slot back.
    func release(_ user: UserID) {
        open.withLock { open in
            let count = open[user, default: 0] - 1
            open[user] = count > 0 ? count : nil
        }
    }

    /// Feeds `user` holds now.
    func count(_ user: UserID) -> Int { open.withLock { $0[user, default: 0] } }
}

extension ConfigKey {
    /// monitoring-service: live-progress feeds one user may hold open on one replica.
    static let feedsPerUser = ConfigKey(
        "CLIPCUT_FEEDS_PER_USER", summary: "monitoring-service: live-progress feeds one user may hold open on one replica (429 beyond).",
        defaultValue: "20")
}
