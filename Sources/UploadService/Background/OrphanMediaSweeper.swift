import ClipCutCore
import Foundation
import Logging
import ServiceLifecycle

/// Deletion wins: every `interval`, removes the sources and media files of videos that no longer
/// exist. Processing may store a rendition just after its video was deleted (the worker checks
/// before each store, but the deletion can land in between); nothing else would ever remove it.
///
/// Only files older than `grace` are considered: a source is stored a moment before its video is
/// registered. Several replicas may sweep at once; deleting twice is harmless.
struct OrphanMediaSweeper: Service {
    let storage: any MediaStorage
    let repository: any VideoRepository
    let interval: Duration
    let grace: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    _ = try await sweep()
                } catch {
                    logger.warning("orphan media sweep stopped", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One pass; returns the videos whose files were removed.
    func sweep(now: Date = Date()) async throws -> [VideoID] {
        let cutoff = now.addingTimeInterval(-TimeInterval(grace.components.seconds))
        var removed: [VideoID] = []
        for videoId in try await storage.videosWithMedia(storedBefore: cutoff) {
            guard try await repository.record(id: videoId) == nil else { continue }
            let media = try await storage.deleteMedia(of: videoId)
            let sources = try await storage.deleteSources(of: videoId)
            logger.notice("removed the files of a deleted video", metadata: [
                "video": "\(videoId)", "media": "\(media)", "sources": "\(sources)",
            ])
            removed.append(videoId)
        }
        return removed
    }
}

extension ConfigKey {
    /// upload-service: period of the orphan media sweep.
    static let orphanSweepSeconds = ConfigKey(
        "CLIPCUT_ORPHAN_SWEEP_SECONDS", summary: "upload-service: seconds between sweeps for files of videos that no longer exist.",
        defaultValue: "600")
    /// upload-service: how old a file must be before the orphan sweep may remove it.
    static let orphanGraceSeconds = ConfigKey(
        "CLIPCUT_ORPHAN_GRACE_SECONDS", summary: "upload-service: age in seconds a file of a missing video must reach before the sweep removes it.",
        defaultValue: "600")
}
