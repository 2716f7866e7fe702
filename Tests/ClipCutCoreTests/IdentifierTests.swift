import ClipCutCore
import Foundation
import Testing

@Suite("Identifiers")
struct IdentifierTests {
    @Test("a canonical UUID parses, in either case, and prints lowercase")
    func parsesCanonicalForm() throws {
        let upper = "3F2B8C1E-0A4D-4E5F-9A6B-7C8D9E0F1A2B"
        let id = try #require(VideoID(upper))
        #expect(id.description == upper.lowercased())
        #expect(VideoID(upper.lowercased()) == id)
        #expect(UserID(upper)?.uuid == id.uuid)
    }

    @Test(
        "anything that is not a canonical UUID is refused",
        arguments: [
            "", "abc", "null", "3f2b8c1e0a4d4e5f9a6b7c8d9e0f1a2b",
            "{3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2b}", " 3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2b",
            "3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2b ", "3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2b/..",
            "3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2g", "../../etc/passwd", "3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2bb",
        ]
    )
    func rejectsGarbage(text: String) {
        #expect(VideoID(text) == nil)
        #expect(UserID(text) == nil)
    }

    @Test("ids are JSON strings")
    func codableAsString() throws {
        let id = VideoID.random()
        let data = try JSONCoding.encode([id])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(id.description)\"]")
        #expect(try JSONCoding.decode([VideoID].self, from: data) == [id])
    }

    @Test("a malformed id in JSON is a decoding error")
    func decodingGarbageFails() {
        #expect(throws: DecodingError.self) {
            try JSONCoding.decode([UserID].self, from: Data(#"["not-a-uuid"]"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONCoding.decode([UserID].self, from: Data("[42]".utf8))
        }
    }

    @Test("random ids differ")
    func randomIdsDiffer() {
        #expect(VideoID.random() != VideoID.random())
    }
}
