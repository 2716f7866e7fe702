import ClipCutCore
import Foundation
import Logging
import ServiceLifecycle

/// Every `interval`: publishes jobs and events that could not reach Redis (the outbox), and
/// removes tus uploads that expired unfinished, with their chunks.
struct UploadSweeper: Service {
    let dependencies: UploadServiceDependencies
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One pass of both sweeps.
    func sweep(now: Date = Date()) async {
        await dependencies.publication.sweep()
        do {
            for upload in try await dependencies.tusUploads.expired(before: now, limit: 100) {
                if upload.completedVideo == nil {
                    try await dependencies.storage.deleteSourceChunks(fileID: upload.fileID, from: 0)
                    logger.info("expired upload removed", metadata: ["upload": "\(upload.id)", "offset": "\(upload.offset)"])
                }
                try await dependencies.tusUploads.delete(id: upload.id)
            }
        } catch {
            logger.warning("expiry sweep stopped", metadata: ["error": "\(error)"])
        }
    }
}
