import Foundation
import MediaStore
import Testing

@Suite("Mongo collections against a real server")
struct MongoCollectionTests {
    @Test("insert, find with filter, sort, skip and limit, count")
    func insertAndFind() async throws {
        try await withStore { (store: MediaStore) async throws in
            let videos = store.collection("videos")
            for index in 0..<10 {
                try await videos.insert([
                    "_id": .string("v\(index)"), "owner": .string(index % 2 == 0 ? "alice" : "bob"),
                    "n": .int64(Int64(index)), "title": .string("Vidéo ✓ \(index)"),
                ])
            }
            let alices = try await videos.find(["owner": "alice"], sort: ["n": -1], skip: 1, limit: 2)
            #expect(alices.compactMap { $0["_id"]?.string } == ["v6", "v4"])
            #expect(try await videos.count(["owner": "bob"]) == 5)
            #expect(try await videos.count() == 10)
            let ranged = try await videos.find(["n": ["$gte": 3, "$lt": 5]], sort: ["n": 1])
            #expect(ranged.compactMap { $0["n"]?.int } == [3, 4])
            #expect(try await videos.findOne(["_id": "v3"])?["title"]?.string == "Vidéo ✓ 3")
            #expect(try await videos.findOne(["_id": "nope"]) == nil)
        }
    }

    @Test("updateOne with $set changes one document; upsert inserts")
    func updates() async throws {
        try await withStore { (store: MediaStore) async throws in
            let videos = store.collection("videos")
            try await videos.insert(["_id": "v1", "status": "uploaded"])
            let result = try await videos.updateOne(["_id": "v1"], set: ["status": "transcoding", "percent": 10.5])
            #expect(result.matched == 1)
            #expect(result.modified == 1)
            let document = try #require(try await videos.findOne(["_id": "v1"]))
            #expect(document["status"]?.string == "transcoding")
            #expect(document["percent"]?.double == 10.5)
            let none = try await videos.updateOne(["_id": "v2"], set: ["status": "x"])
            #expect(none.matched == 0)
            let upsert = try await videos.updateOne(["_id": "v2"], set: ["status": "uploaded"], upsert: true)
            #expect(upsert.upserted)
            #expect(try await videos.count() == 2)
            #expect(try await videos.delete(["_id": "v2"]) == 1)
            #expect(try await videos.count() == 1)
        }
    }

    @Test("a unique index turns a second insert into MediaStoreError.duplicateKey")
    func duplicateKey() async throws {
        try await withStore { (store: MediaStore) async throws in
            let users = store.collection("users")
            try await users.createIndex(["email": 1], name: "email_unique", unique: true)
            try await users.createIndex(["email": 1], name: "email_unique", unique: true)  // idempotent
            try await users.insert(["email": "a@example.com"])
            await #expect {
                try await users.insert(["email": "a@example.com"])
            } throws: { error in
                guard case MediaStoreError.duplicateKey = error else { return false }
                return true
            }
            #expect(try await users.count() == 1)
            try await users.insert(["email": "b@example.com"])
            #expect(try await users.count() == 2)
        }
    }

    @Test("a malformed URI is a typed error, an unreachable server fails ping")
    func badConnections() async throws {
        #expect(throws: MediaStoreError.self) { try MediaStore(configuration: .init(uri: "not a uri")) }
        let store = try MediaStore(configuration: .init(uri: "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=300"))
        await #expect(throws: MediaStoreError.self) { try await store.ping() }
        await store.shutdown()
    }
}
