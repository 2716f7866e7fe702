import ClipCutCore

extension ConfigKey {
    /// monitoring-service: live-progress feeds one user may hold open on one replica.
    static let feedsPerUser = ConfigKey(
        "CLIPCUT_FEEDS_PER_USER", summary: "monitoring-service: live-progress feeds one user may hold open on one replica (429 beyond).",
        defaultValue: "20")
}
