import ClipCutCore
import Logging
import Synchronization

/// The database lookups of a media request — the video (for authorisation) and the stored file
/// a name means — kept in memory while the video's revision (``MediaRevisions``: from memory
/// while Redis pushes its changes, ``WatchedMediaRevisions``, else a Redis `GET`) has not
/// changed, so that serving a cached segment asks nothing of MongoDB, nor of Redis.
///
/// A deletion, a visibility change or a newly stored file changes the revision on every replica
/// at once; the next request sees it and looks again. Without a revision store, or when Redis
/// does not answer, every request looks up MongoDB as before. An entry is also dropped after
/// `maximumAge` (a bump lost to a Redis outage cannot keep it alive longer).
final class MediaLookups: Sendable {
    /// What one request saw: the revision it checked, to ask for files under the same one.
    struct Lookup: Sendable {
        var record: VideoRecord
        fileprivate var revision: Revision
    }

    fileprivate enum Revision: Equatable {
        /// The revision store answered this (`nil`: no revision yet).
        case known(String?)
        /// It did not answer: nothing from memory.
        case unknown
    }

    private struct Entry {
        var revision: String?
        var record: VideoRecord
        var files: [String: StoredFile] = [:]
        var loadedAt: ContinuousClock.Instant
    }

    private let repository: any VideoRepository
    private let storage: any MediaStorage
    private let revisions: (any MediaRevisions)?
    private let maximumAge: Duration
    private let capacity: Int
    private let logger: Logger
    private let entries = Mutex<[VideoID: Entry]>([:])

    init(
        repository: any VideoRepository, storage: any MediaStorage, revisions: (any MediaRevisions)?,
        maximumAge: Duration = .seconds(30), capacity: Int = 10_000, logger: Logger
    ) {
        self.repository = repository
        self.storage = storage
        self.revisions = revisions
        self.maximumAge = maximumAge
        self.capacity = capacity
        self.logger = logger
    }

    /// The video `id`, from memory when its revision is unchanged; `nil` if it does not exist.
    func record(id: VideoID) async throws -> Lookup? {
        let revision = await currentRevision(id)
        let now = ContinuousClock.now
        if case .known(let value) = revision, let record = entries.withLock({ entries -> VideoRecord? in
            guard let entry = entries[id], entry.revision == value, now - entry.loadedAt < maximumAge else { return nil }
            return entry.record
        }) {
            return Lookup(record: record, revision: revision)
        }
        guard let record = try await repository.record(id: id) else {
            entries.withLock { _ = $0.removeValue(forKey: id) }
            return nil
        }
        if case .known(let value) = revision {
            entries.withLock { entries in
                if entries.count >= capacity { entries = entries.filter { now - $0.value.loadedAt < maximumAge } }
                if entries.count >= capacity { entries.removeAll() }
                entries[id] = Entry(revision: value, record: record, loadedAt: now)
            }
        }
        return Lookup(record: record, revision: revision)
    }

    /// The newest media file named `name` of the looked-up video, from memory under the same
    /// revision; `nil` if there is none (not remembered: a file may be stored any moment).
    func mediaFile(named name: String, in lookup: Lookup) async throws -> StoredFile? {
        let id = lookup.record.video.id
        guard case .known(let value) = lookup.revision else { return try await storage.mediaFile(named: name) }
        if let file = entries.withLock({ $0[id].flatMap { $0.revision == value ? $0.files[name] : nil } }) { return file }
        guard let file = try await storage.mediaFile(named: name) else { return nil }
        entries.withLock { entries in
            if entries[id]?.revision == value { entries[id]?.files[name] = file }
        }
        return file
    }

    private func currentRevision(_ id: VideoID) async -> Revision {
        guard let revisions else { return .unknown }
        do {
            return .known(try await revisions.current(id))
        } catch {
            logger.debug("media revision unavailable; looking up MongoDB", metadata: ["videoId": "\(id)", "error": "\(error)"])
            return .unknown
        }
    }
}
