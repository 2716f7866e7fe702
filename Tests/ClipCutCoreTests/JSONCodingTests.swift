import ClipCutCore
import Foundation
import Testing

@Suite("JSONCoding")
struct JSONCodingTests {
    @Test("timestamps are UTC with three fractional digits")
    func formats() {
        #expect(JSONCoding.formatTimestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(JSONCoding.formatTimestamp(Date(timeIntervalSince1970: 1_738_324_800.25)) == "2025-01-31T12:00:00.250Z")
        #expect(JSONCoding.formatTimestamp(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
    }

    @Test(
        "lenient parsing",
        arguments: [
            ("2025-01-31T12:00:00Z", 1_738_324_800.0),
            ("2025-01-31T12:00:00.250Z", 1_738_324_800.25),
            ("2025-01-31T12:00:00.25Z", 1_738_324_800.25),
            ("2025-01-31T12:00:00.250999Z", 1_738_324_800.25),
            ("2025-01-31T13:00:00.250+01:00", 1_738_324_800.25),
        ]
    )
    func parses(text: String, seconds: Double) throws {
        let date = try #require(JSONCoding.parseTimestamp(text))
        #expect(date == JSONCoding.normalized(Date(timeIntervalSince1970: seconds)))
    }

    @Test("garbage is not a timestamp", arguments: ["", "yesterday", "2025-01-31", "2025-01-31T12:00:00.Z", "2025-13-31T12:00:00Z"])
    func rejects(text: String) {
        #expect(JSONCoding.parseTimestamp(text) == nil)
    }

    @Test("normalised dates survive a round trip exactly")
    func roundTripsExactly() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let date = JSONCoding.normalized(
                Date(timeIntervalSince1970: Double.random(in: 0...4_000_000_000, using: &generator)))
            let text = JSONCoding.formatTimestamp(date)
            #expect(JSONCoding.parseTimestamp(text) == date, "\(text)")
            let decoded = try JSONCoding.decode([Date].self, from: JSONCoding.encode([date]))
            #expect(decoded == [date])
        }
    }
}
