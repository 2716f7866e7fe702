import ClipCutCore
import Crypto
import Foundation
import MediaStore
import Redis

/// Appends jobs and lifecycle events to their Redis streams.
protocol VideoEventPublisher: Sendable {
    /// Appends `json` (one message) to `stream`.
    func append(_ json: String, to stream: String) async throws
}

/// ``VideoEventPublisher`` over Redis streams (field ``RedisNames/messageField``).
struct RedisVideoEventPublisher: VideoEventPublisher {
    let redis: RedisClient

    func append(_ json: String, to stream: String) async throws {
        try await redis.xadd(stream, fields: [RedisNames.messageField: json])  // trimmed once acknowledged (StreamTrimmer)
    }
}

/// Events waiting for Redis (the outbox), kept in MongoDB next to the data they describe.
protocol EventOutbox: Sendable {
    /// Keeps `json` for `stream` until ``remove(id:)``.
    func add(id: UUID, json: String, stream: String) async throws
    /// The oldest entries.
    func pending(limit: Int) async throws -> [(id: UUID, json: String, stream: String)]
    /// Forgets a published entry.
    func remove(id: UUID) async throws
}

/// ``EventOutbox`` in the MongoDB collection `outbox`.
struct MongoEventOutbox: EventOutbox {
    let collection: MongoCollection

    init(store: MediaStore) {
        collection = store.collection("outbox")
    }

    func add(id: UUID, json: String, stream: String) async throws {
        do {
            try await collection.insert([
                "_id": .string(id.uuidString.lowercased()), "message": .string(json), "stream": .string(stream), "createdAt": .date(Date()),
            ])
        } catch MediaStoreError.duplicateKey {
            return  // already queued
        }
    }

    func pending(limit: Int) async throws -> [(id: UUID, json: String, stream: String)] {
        try await collection.find([:], sort: ["createdAt": 1], limit: limit).compactMap { document in
            guard let id = document["_id"]?.string.flatMap(UUID.init(uuidString:)), let json = document["message"]?.string,
                  let stream = document["stream"]?.string else { return nil }
            return (id, json, stream)
        }
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
