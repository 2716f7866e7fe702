import ClipCutCore
import Crypto
import Foundation
import MediaStore
import Redis

/// Appends jobs and lifecycle events to their Redis streams.
protocol VideoEventPublisher: Sendable {
    /// Appends `json` (one message) to `stream`; returns the entry's id.
    @discardableResult
    func append(_ json: String, to stream: String) async throws -> String
    /// Whether entry `id` is in `stream` (not lost by a Redis crash).
    func contains(_ id: String, in stream: String) async throws -> Bool
}

/// ``VideoEventPublisher`` over Redis streams (field ``RedisNames/messageField``).
struct RedisVideoEventPublisher: VideoEventPublisher {
    let redis: RedisClient

    func append(_ json: String, to stream: String) async throws -> String {
        try await redis.xadd(stream, fields: [RedisNames.messageField: json])  // trimmed once acknowledged (StreamTrimmer)
    }

    func contains(_ id: String, in stream: String) async throws -> Bool {
        !(try await redis.xrange(stream, start: id, end: id, count: 1).isEmpty)
    }
}

/// Events waiting for Redis (the outbox), kept in MongoDB next to the data they describe.
protocol EventOutbox: Sendable {
    /// Keeps `entry` until ``remove(id:)`` (a second add of the same id changes nothing).
    func add(_ entry: OutboxEntry) async throws
    /// The oldest entries.
    func pending(limit: Int) async throws -> [OutboxEntry]
    /// Records that the entry was appended, to be confirmed later.
    func markSent(id: UUID, _ sent: SentMessages) async throws
    /// Forgets an entry confirmed durable.
    func remove(id: UUID) async throws
}

/// ``EventOutbox`` in the MongoDB collection `outbox`.
struct MongoEventOutbox: EventOutbox {
    let collection: MongoCollection

    init(store: MediaStore) {
        collection = store.collection("outbox")
    }

    func add(_ entry: OutboxEntry) async throws {
        var document: BSONDocument = [
            "_id": .string(entry.id.uuidString.lowercased()), "message": .string(entry.json), "stream": .string(entry.stream),
            "createdAt": .date(Date()),
        ]
        if let sent = entry.sent { document["sent"] = .document(sent.document) }
        do {
            try await collection.insert(document)
        } catch MediaStoreError.duplicateKey {
            return  // already queued
        }
    }

    func pending(limit: Int) async throws -> [OutboxEntry] {
        try await collection.find([:], sort: ["createdAt": 1], limit: limit).compactMap { document in
            guard let id = document["_id"]?.string.flatMap(UUID.init(uuidString:)), let json = document["message"]?.string,
                  let stream = document["stream"]?.string else { return nil }
            return OutboxEntry(id: id, json: json, stream: stream, sent: SentMessages(document: document["sent"]?.document))
        }
    }

    func markSent(id: UUID, _ sent: SentMessages) async throws {
        try await collection.update(["_id": .string(id.uuidString.lowercased())], ["$set": ["sent": .document(sent.document)]])
    }

    func remove(id: UUID) async throws {
        try await collection.delete(["_id": .string(id.uuidString.lowercased())])
    }
}

extension UUID {
    /// A UUID derived from `name` (SHA-256, version/variant bits set like a v5 UUID), so the
    /// same message published twice by an outbox sweep keeps one `eventId`.
    static func derived(from name: String) -> UUID {
        var bytes = Array(SHA256.hash(data: Data(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
