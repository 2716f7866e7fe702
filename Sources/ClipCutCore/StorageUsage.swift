/// A user's storage against their quota, as `GET /api/videos/usage` answers it (upload-service)
/// and the page and `clipcut whoami` read it.
public struct StorageUsage: Codable, Sendable, Equatable {
    /// Bytes of the user's stored sources (derived media does not count).
    public var storedBytes: Int64
    /// Bytes reserved by the user's unfinished resumable uploads.
    public var reservedBytes: Int64
    /// The user's storage quota.
    public var quotaBytes: Int64
    /// What is left: the quota minus stored and reserved bytes (never below 0).
    public var availableBytes: Int64
    /// The largest single upload.
    public var maximumUploadBytes: Int64

    /// The usage of `stored` and `reserved` bytes under `quota`.
    public init(storedBytes: Int64, reservedBytes: Int64, quotaBytes: Int64, maximumUploadBytes: Int64) {
        self.storedBytes = storedBytes
        self.reservedBytes = reservedBytes
        self.quotaBytes = quotaBytes
        self.availableBytes = max(0, quotaBytes - storedBytes - reservedBytes)
        self.maximumUploadBytes = maximumUploadBytes
    }
}
