import Foundation
import MediaStore

/// Messages appended to Redis and not yet confirmed durable. Redis writes its append-only file
/// once a second (`appendfsync everysec`), so an `XADD` that was answered can still be lost by
/// a crash in the next second. The outbox keeps a message until ``VideoPublication`` has seen
/// the entry in its stream after ``VideoPublication/confirmAfter``; one missing then was lost
/// and is appended again (same `eventId`, which consumers apply once).
struct SentMessages: Sendable, Equatable {
    /// One appended entry.
    struct Entry: Sendable, Equatable {
        var stream: String
        var id: String
    }

    /// When they were appended.
    var at: Date
    /// The entries.
    var entries: [Entry]

    /// As stored in MongoDB: `{at, entries: [{stream, id}]}`.
    var document: BSONDocument {
        ["at": .date(at), "entries": .array(entries.map { .document(["stream": .string($0.stream), "id": .string($0.id)]) })]
    }

    init(at: Date, entries: [Entry]) {
        self.at = at
        self.entries = entries
    }

    /// Reads the stored form; `nil` when absent or malformed.
    init?(document: BSONDocument?) {
        guard let document, let at = document["at"]?.date else { return nil }
        let entries: [Entry] = (document["entries"]?.array ?? []).compactMap { value in
            guard let item = value.document, let stream = item["stream"]?.string, let id = item["id"]?.string else { return nil }
            return Entry(stream: stream, id: id)
        }
        self.init(at: at, entries: entries)
    }
}

/// A message waiting in the outbox: not yet appended (`sent == nil`), or appended and waiting
/// to be confirmed.
struct OutboxEntry: Sendable, Equatable {
    var id: UUID
    var json: String
    var stream: String
    var sent: SentMessages?
}
