import ClipCutCore
import Foundation

/// One upload as the history shows it.
struct UploadSummary: Codable, Sendable, Equatable {
    var videoId: VideoID
    var owner: UserID
    var title: String
    var filename: String
    var size: Int64
    var status: String
    var failureReason: String?
    var durationSeconds: Double?
    var sourceWidth: Int?
    var sourceHeight: Int?
    /// Qualities stored so far, best first.
    var renditions: [String]
    var captions: String?
    var createdAt: Date
    var updatedAt: Date
    var transcribingAt: Date?
    var transcodingAt: Date?
    var readyAt: Date?
    var failedAt: Date?
    /// When the first HLS segments were stored and the video played while it was processed.
    var playableAt: Date? = nil
}

/// One event of an upload's timeline.
struct TimelineEvent: Codable, Sendable, Equatable {
    var eventId: UUID
    var type: String
    var at: Date
}

/// What a history listing asks for.
struct HistoryQuery: Sendable, Equatable {
    var owner: UserID?
    var status: String?
    var from: Date?
    var to: Date?
    var titleContains: String?
    var after: HistoryCursor?
    var limit: Int
}

/// Position in a listing, newest first.
struct HistoryCursor: Sendable, Equatable {
    var createdAt: Date
    var videoId: VideoID
}

/// A page of history and how many uploads match in all.
struct HistoryPage: Sendable, Equatable {
    var uploads: [UploadSummary]
    var total: Int
}

/// The projection of `clipcut:events` that monitoring-service keeps (PostgreSQL).
protocol HistoryStore: Sendable {
    /// Applies one event exactly once by its `eventId`; `false` when it was applied before.
    @discardableResult
    func apply(_ event: ClipCutEvent) async throws -> Bool
    func history(_ query: HistoryQuery) async throws -> HistoryPage
    func upload(_ videoId: VideoID) async throws -> UploadSummary?
    /// The uploads among `ids` that exist (one query for many open feeds).
    func uploads(_ ids: [VideoID]) async throws -> [UploadSummary]
    /// The owner's videos whose transcript matches `query`, best first, each with the matching cues.
    func search(_ query: TranscriptQuery) async throws -> [TranscriptMatch]
    /// Figures over every upload, for administrators.
    func stats(days: Int) async throws -> UploadStats
    func timeline(_ videoId: VideoID) async throws -> [TimelineEvent]
}

/// A search inside the owner's videos.
struct TranscriptQuery: Sendable, Equatable {
    var owner: UserID
    /// Words as a person types them (`websearch_to_tsquery`: quotes, `or`, `-word`).
    var text: String
    /// Videos returned at most.
    var limit: Int
    /// Cues returned per video at most.
    var cuesPerVideo = 5
}

/// A video whose transcript matched, with the matching cues in time order.
struct TranscriptMatch: Codable, Sendable, Equatable {
    struct Cue: Codable, Sendable, Equatable {
        var start: Double
        var end: Double
        var text: String
    }

    var videoId: VideoID
    var title: String
    var durationSeconds: Double?
    var cues: [Cue]
}

/// What `GET /api/stats` reports (over every upload; deleted ones through their anonymous counts).
struct UploadStats: Codable, Sendable, Equatable {
    /// One day's uploads (days without any are absent).
    struct Day: Codable, Sendable, Equatable {
        var day: String
        var uploads: Int
        var bytes: Int64
        var ready = 0
        var failed = 0
        /// ready / (ready + failed) of the day's uploads; `nil` before any finished.
        var successRate: Double?
        /// Seconds from upload to ready per minute of video, the day's median.
        var medianSecondsPerMinute: Double?
        /// Seconds from upload (or retry) until a worker took the job, the day's median.
        var medianQueueWaitSeconds: Double?
        /// Seconds whisper.cpp took per second of audio, the day's median.
        var medianTranscriptionRealTimeFactor: Double?

        init(
            day: String, uploads: Int, bytes: Int64, ready: Int = 0, failed: Int = 0, medianSecondsPerMinute: Double? = nil,
            medianQueueWaitSeconds: Double? = nil, medianTranscriptionRealTimeFactor: Double? = nil
        ) {
            self.day = day
            self.uploads = uploads
            self.bytes = bytes
            self.ready = ready
            self.failed = failed
            self.successRate = ready + failed > 0 ? Double(ready) / Double(ready + failed) : nil
            self.medianSecondsPerMinute = medianSecondsPerMinute
            self.medianQueueWaitSeconds = medianQueueWaitSeconds
            self.medianTranscriptionRealTimeFactor = medianTranscriptionRealTimeFactor
        }
    }

    struct Totals: Codable, Sendable, Equatable {
        var uploads: Int
        var bytes: Int64
        var ready: Int
        var failed: Int
        var inFlight: Int
        /// ready / (ready + failed); `nil` before anything finished.
        var successRate: Double?
    }

    /// Seconds from upload to ready per minute of video.
    struct ProcessingTime: Codable, Sendable, Equatable {
        var videos: Int
        var medianSecondsPerMinute: Double?
        var p95SecondsPerMinute: Double?
    }

    var perDay: [Day]
    var totals: Totals
    var processing: ProcessingTime
}
