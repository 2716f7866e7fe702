import Foundation

/// Dates in HTTP's IMF-fixdate format (`Sun, 06 Nov 1994 08:49:37 GMT`).
public enum HTTPDate {
    /// Formats `date` (whole seconds, rounded down). By arithmetic on the seconds since 1970:
    /// every media response carries one, and a `DateFormatter` per call cost more than the rest
    /// of serving a cached segment (scripts/bench playback, `--profile`).
    public static func string(from date: Date) -> String {
        let seconds = Int64(clamping: Int64(exactly: date.timeIntervalSince1970.rounded(.down)) ?? 0)
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = Int(seconds - days * 86400)
        let (year, month, day) = civil(daysSince1970: days)
        let weekday = Int(((days % 7) + 7 + 4) % 7)  // 1970-01-01 was a Thursday
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        var yearText = String(year)
        if year >= 0 && year < 1000 { yearText = String(repeating: "0", count: 4 - yearText.count) + yearText }
        return "\(weekdays[weekday]), \(two(day)) \(months[month - 1]) \(yearText) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`).
    static func civil(daysSince1970 days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// Parses an IMF-fixdate; `nil` for anything else. Parsed by hand, never by
    /// `DateFormatter`, which traps on some non-ASCII input (found by scripts/fuzz).
    public static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 29, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        func field(_ from: Int, _ length: Int) -> String { String(text.dropFirst(from).prefix(length)) }
        func number(_ from: Int, _ length: Int) -> Int? {
            let digits = field(from, length)
            return digits.utf8.allSatisfy({ (48...57).contains($0) }) ? Int(digits) : nil
        }
        guard weekdays.contains(field(0, 3)), field(3, 2) == ", ", field(7, 1) == " ", field(11, 1) == " ", field(16, 1) == " ",
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

}
