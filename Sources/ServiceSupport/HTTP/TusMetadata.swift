import Foundation

/// The `Upload-Metadata` header of the tus 1.0 protocol: comma-separated pairs of a key and
/// an optional base64 value (`filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential`).
public enum TusMetadata {
    /// Why a header was refused.
    public struct ParseError: Error, Equatable, Sendable {
        /// For the client.
        public var reason: String
    }

    /// The pairs of `header`; keys without a value map to `""`. Values are decoded as UTF-8.
    /// - Throws: ``ParseError`` for an empty or duplicate key, a key with spaces or commas,
    ///   a value that is not base64 or not UTF-8, or a header over 8 KiB.
    public static func parse(_ header: String) throws(ParseError) -> [String: String] {
        guard header.utf8.count <= 8 * 1024 else { throw ParseError(reason: "it is larger than 8 KiB") }
        var pairs: [String: String] = [:]
        for item in header.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
            guard let key = parts.first, parts.count <= 2 else { throw ParseError(reason: "a pair is not `key` or `key base64`") }
            guard key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "," }) else {
                throw ParseError(reason: "a key has characters other than visible ASCII")
            }
            guard pairs[String(key)] == nil else { throw ParseError(reason: "a key appears twice") }
            if parts.count == 2 {
                guard let data = Data(base64Encoded: String(parts[1])), let value = String(data: data, encoding: .utf8) else {
                    throw ParseError(reason: "the value of \(key) is not base64 UTF-8")
                }
                pairs[String(key)] = value
            } else {
                pairs[String(key)] = ""
            }
        }
        return pairs
    }
}

/// Dates in HTTP's IMF-fixdate format (`Sun, 06 Nov 1994 08:49:37 GMT`).
public enum HTTPDate {
    /// Formats `date`.
    public static func string(from date: Date) -> String {
        makeFormatter().string(from: date)
    }

    /// Parses an IMF-fixdate; `nil` for anything else. Parsed by hand, never by
    /// `DateFormatter`, which traps on some non-ASCII input (found by scripts/fuzz).
    public static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 29, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func field(_ from: Int, _ length: Int) -> String { String(text.dropFirst(from).prefix(length)) }
        func number(_ from: Int, _ length: Int) -> Int? {
            let digits = field(from, length)
            return digits.utf8.allSatisfy({ (48...57).contains($0) }) ? Int(digits) : nil
        }
        guard days.contains(field(0, 3)), field(3, 2) == ", ", field(7, 1) == " ", field(11, 1) == " ", field(16, 1) == " ",
              field(19, 1) == ":", field(22, 1) == ":", field(25, 4) == " GMT",
              let day = number(5, 2), let month = months.firstIndex(of: field(8, 3)), let year = number(12, 4),
              let hour = number(17, 2), let minute = number(20, 2), let second = number(23, 2),
              (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT") ?? calendar.timeZone
        let components = DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date
    }

    /// A new formatter each time: `DateFormatter` is not safe to share between threads.
    private static func makeFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }
}
