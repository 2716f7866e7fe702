/// Where a video is in its life, as stored in the `videos` document and shown to its owner.
///
/// The state machine:
///
/// ```
/// uploaded ──▶ transcribing ──▶ transcoding ──▶ ready
///     │              │               │
///     └──────────────┴───────────────┴────────▶ failed
/// ```
///
/// - Each step moves forward by exactly one stage; nothing moves backwards and no stage is skipped
///   (a video without an audio track still passes through `transcribing`, which then finds nothing
///   to transcribe).
/// - `failed` is reachable from every non-terminal status.
/// - `ready` and `failed` are terminal: no transition leaves them.
/// - Staying in the same status is not a transition (`canTransition(to: self)` is `false`);
///   a retried job continues from the status the video already has instead of moving it back.
public enum VideoStatus: String, Codable, Sendable, CaseIterable {
    /// The source is stored and a transcode job is queued.
    case uploaded
    /// Audio is being extracted and turned into captions.
    case transcribing
    /// The renditions (MP4 and HLS) are being encoded.
    case transcoding
    /// The first HLS segments of every published rung are stored: the video plays (up to the
    /// live edge) while the rest of the ladder is encoded.
    case playable
    /// Every rendition is stored; the video can be played.
    case ready
    /// Processing gave up; `Video.failureReason` says why.
    case failed

    /// `true` for `ready` and `failed`, which no transition leaves.
    public var isTerminal: Bool {
        switch self {
        case .ready, .failed: true
        case .uploaded, .transcribing, .transcoding, .playable: false
        }
    }

    /// The statuses this one may move to next.
    public var allowedNextStatuses: Set<VideoStatus> {
        switch self {
        case .uploaded: [.transcribing, .failed]
        case .transcribing: [.transcoding, .failed]
        case .transcoding: [.playable, .ready, .failed]
        case .playable: [.ready, .failed]
        case .ready, .failed: []
        }
    }

    /// Whether the state machine allows moving from `self` to `next`.
    public func canTransition(to next: VideoStatus) -> Bool {
        allowedNextStatuses.contains(next)
    }
}

/// Thrown when code asks for a status change the state machine forbids.
public struct InvalidStatusTransition: Error, Hashable, Sendable, CustomStringConvertible {
    /// The status the video had.
    public let from: VideoStatus
    /// The status that was asked for.
    public let to: VideoStatus

    /// Creates the error for the refused step `from` → `to`.
    public init(from: VideoStatus, to: VideoStatus) {
        self.from = from
        self.to = to
    }

    /// A readable description for logs.
    public var description: String {
        "invalid video status transition \(from.rawValue) → \(to.rawValue)"
    }
}
