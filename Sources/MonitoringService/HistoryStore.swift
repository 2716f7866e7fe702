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
    func timeline(_ videoId: VideoID) async throws -> [TimelineEvent]
}
