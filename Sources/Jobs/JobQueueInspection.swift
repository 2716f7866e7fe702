import ClipCutCore
import Foundation

/// A job a worker holds now.
public struct RunningJob: Codable, Sendable, Equatable {
    /// The video being processed; `nil` for a malformed entry.
    public var videoId: VideoID?
    /// Its owner.
    public var owner: String
    /// The worker (consumer name: host and process) that holds it.
    public var worker: String
    /// When that worker took it.
    public var since: Date?

    /// A running job.
    public init(videoId: VideoID?, owner: String, worker: String, since: Date?) {
        self.videoId = videoId
        self.owner = owner
        self.worker = worker
        self.since = since
    }
}

/// A job that failed every attempt (or whose workers kept dying) and was set aside.
public struct DeadLetterEntry: Codable, Sendable, Equatable {
    /// The dead letter's own id (`<milliseconds>-<sequence>` in Redis).
    public var id: String
    /// The job as it was queued, decoded; `nil` when it was malformed.
    public var job: TranscodeJob?
    /// Why it was given up.
    public var reason: String
    /// How many attempts (or deliveries) it had.
    public var attempts: Int
    /// When it was dead-lettered.
    public var at: Date

    /// A dead letter.
    public init(id: String, job: TranscodeJob?, reason: String, attempts: Int, at: Date) {
        self.id = id
        self.job = job
        self.reason = reason
        self.attempts = attempts
        self.at = at
    }

    /// Whether `text` has the shape of a dead letter's id (digits, a dash, digits): what an
    /// administrator's path may hold before it reaches Redis.
    public static func isValidID(_ text: some StringProtocol) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { (1...20).contains($0.count) && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}

/// What an administrator sees of the jobs beyond the waiting line, and the dead letters they
/// may take back or throw away.
public protocol JobQueueInspector: Sendable {
    /// The jobs workers hold now, oldest first (at most 100).
    func running() async throws -> [RunningJob]
    /// The dead letters, newest first.
    func deadLetters(limit: Int) async throws -> [DeadLetterEntry]
    /// One dead letter, `nil` when there is none with that id.
    func deadLetter(id: String) async throws -> DeadLetterEntry?
    /// Removes a dead letter; `false` when it was already gone.
    func removeDeadLetter(id: String) async throws -> Bool
}

extension DeadLetterEntry {
    /// Decodes the job of a dead letter's message, if it is one.
    static func job(from raw: String) -> TranscodeJob? {
        if case .transcodeRequested(let job)? = try? ClipCutEvent.decode(from: raw) { job } else { nil }
    }
}
