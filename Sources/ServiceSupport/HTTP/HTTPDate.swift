import Foundation

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
