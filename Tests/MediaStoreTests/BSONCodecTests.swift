import Foundation
import MediaStore
import Testing

@Suite("BSON codec")
struct BSONCodecTests {
    static let sample: BSONDocument = [
        "_id": .objectID(ObjectID("64b7f0a1c2d3e4f5a6b7c8d9")!),
        "title": "Été 🎬 \u{202E}reversed",
        "size": .int64(5_000_000_000),
        "n": .int32(-7),
        "ratio": 1.5,
        "ready": true,
        "missing": nil,
        "createdAt": .date(Date(timeIntervalSince1970: 1_700_000_000.123)),
        "tags": ["a", 2, ["nested": true]],
        "data": .binary([0, 1, 2, 255], subtype: 0),
        "meta": ["owner": "u1", "rungs": ["720p", "360p"]],
        "ts": .timestamp(42),
    ]

    @Test("every supported type round-trips, in order")
    func roundTrip() throws {
        let decoded = try BSONDocument(bsonBytes: Self.sample.encoded())
        #expect(decoded == Self.sample)
        #expect(decoded.keys == Self.sample.keys)
    }

    @Test("known bytes: {\"hello\": \"world\"} from the BSON spec")
    func specExample() throws {
        let expected: [UInt8] = [
            0x16, 0, 0, 0, 0x02, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0, 0x06, 0, 0, 0,
            0x77, 0x6F, 0x72, 0x6C, 0x64, 0, 0,
        ]
        let document: BSONDocument = ["hello": "world"]
        #expect(document.encoded() == expected)
        #expect(try BSONDocument(bsonBytes: expected) == document)
    }

    @Test("truncated or corrupted bytes throw instead of crashing")
    func malformed() throws {
        let valid = Self.sample.encoded()
        for cut in stride(from: 0, to: valid.count - 1, by: 7) {
            #expect(throws: BSONDecodingError.self) { try BSONDocument(bsonBytes: Array(valid[0..<cut])) }
        }
        var badLength = valid
        badLength[0] = 0xFF
        #expect(throws: BSONDecodingError.self) { try BSONDocument(bsonBytes: badLength) }
        let small: BSONDocument = ["x": .int32(1)]
        var badType = small.encoded()
        badType[4] = 0x7F
        #expect(throws: BSONDecodingError.self) { try BSONDocument(bsonBytes: badType) }
    }

    @Test("ObjectId parses 24 hex digits only")
    func objectIDs() throws {
        #expect(ObjectID("64B7F0A1C2D3E4F5A6B7C8D9")?.description == "64b7f0a1c2d3e4f5a6b7c8d9")
        #expect(ObjectID("xyz") == nil)
        #expect(ObjectID("64b7f0a1c2d3e4f5a6b7c8dz") == nil)
        #expect(ObjectID.generate() != ObjectID.generate())
    }

    @Test("subscript replaces, appends and removes fields")
    func subscripts() {
        var document: BSONDocument = ["a": 1, "b": 2]
        document["a"] = "one"
        document["c"] = 3
        document["b"] = nil
        #expect(document == ["a": "one", "c": 3])
    }
}
