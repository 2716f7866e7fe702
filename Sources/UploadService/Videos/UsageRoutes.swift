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

    @Sendable func usage(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let stored = try await dependencies.repository.storedBytes(owner: user.id)
        let reserved = try await dependencies.tusUploads.reservedBytes(owner: user.id, excluding: nil)
        let quota = dependencies.quotaBytes
        // Sources count (derived media does not); so do unfinished tus uploads, whose length is
        // reserved until they complete or expire.
        return jsonResponse(StorageUsage(
            storedBytes: stored, reservedBytes: reserved, quotaBytes: quota, maximumUploadBytes: dependencies.maximumUploadBytes))
    }
}
