import ClipCutCore

/// What processing one video produced.
struct ProcessedVideo: Sendable {
    /// The rungs stored.
    var renditions: [Rendition]
    /// Captions could not be made now (audio-service unavailable): schedule a retry.
    var captionsPending: Bool
}

/// Turns an uploaded video into its published media (``TranscodePipeline``; a fake in the job
/// state tests). Throws ``JobFailure`` for what retrying cannot fix or may fix; cancellation
/// stops it with nothing published.
protocol VideoProcessing: Sendable {
    func process(_ video: VideoSnapshot) async throws -> ProcessedVideo
}

extension TranscodePipeline: VideoProcessing {
    func process(_ video: VideoSnapshot) async throws -> ProcessedVideo {
        let outcome = try await run(video)
        return ProcessedVideo(renditions: outcome.renditions, captionsPending: outcome.captionsPending)
    }
}
