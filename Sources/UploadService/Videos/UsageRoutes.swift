import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// `GET /api/videos/usage`: the caller's storage against their quota, for the upload view and
/// `clipcut whoami` (what a 413 would otherwise be the first to tell them).
struct UsageRoutes: Sendable {
    let dependencies: UploadServiceDependencies

    func add(to group: RouterGroup<ClipCutRequestContext>) {
        group.get("usage", use: usage)
    }

    /// The caller's usage. Sources count (derived media does not); so do unfinished tus uploads,
    /// whose length is reserved until they complete or expire.
    struct Usage: Codable, Sendable, Equatable {
        /// Bytes of the caller's stored sources.
        var storedBytes: Int64
        /// Bytes reserved by unfinished resumable uploads.
        var reservedBytes: Int64
        /// The caller's storage quota.
        var quotaBytes: Int64
        /// What is left: the quota minus stored and reserved bytes (never below 0).
        var availableBytes: Int64
        /// The largest single upload.
        var maximumUploadBytes: Int64
    }

    @Sendable func usage(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let stored = try await dependencies.repository.storedBytes(owner: user.id)
        let reserved = try await dependencies.tusUploads.reservedBytes(owner: user.id, excluding: nil)
        let quota = dependencies.quotaBytes
        return jsonResponse(Usage(
            storedBytes: stored, reservedBytes: reserved, quotaBytes: quota, availableBytes: max(0, quota - stored - reserved),
            maximumUploadBytes: dependencies.maximumUploadBytes))
    }
}
