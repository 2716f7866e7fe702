import Foundation

/// The JSON encoder and decoder every ClipCut message, document and API body goes through.
///
/// - Dates are ISO-8601 in UTC with exactly three fractional digits: `2025-01-31T12:00:00.250Z`.
///   Decoding also accepts no fraction, any number of fractional digits and numeric offsets
///   (`+02:00`); precision beyond a millisecond is dropped.
/// - Keys are sorted, so the same value always gives the same bytes.
///
/// Dates only survive a round trip exactly when they are whole milliseconds; the initialisers of
/// the domain types pass their dates through ``normalized(_:)`` for that reason.
public enum JSONCoding {
    /// A new encoder with the shared settings (sorted keys, millisecond ISO-8601 dates).
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTimestamp(date))
        }
        return encoder
    }

    /// A new decoder with the shared settings (lenient ISO-8601 dates).
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "Expected an ISO-8601 date-time"
                )
            }
            return date
        }
        return decoder
    }

    /// Encodes `value` with the shared encoder.
    public static func encode(_ value: some Encodable) throws -> Data {
        try makeEncoder().encode(value)
    }

    /// Decodes a `T` from `data` with the shared decoder.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try makeDecoder().decode(type, from: data)
    }

    /// `date` rounded to the nearest whole millisecond, the precision the wire format keeps.
    public static func normalized(_ date: Date) -> Date {
        dateFromMilliseconds(milliseconds(of: date))
    }

    /// Formats `date` as `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC.
    public static func formatTimestamp(_ date: Date) -> String {
        let total = milliseconds(of: date)
        let seconds = total.floorDivided(by: 1000)
        let fraction = Int(total - seconds * 1000)
        let whole = wholeSecondsStyle.format(Date(timeIntervalSince1970: Double(seconds)))
        // `whole` ends in "Z"; put the fraction in front of it.
        let digits = String(fraction)
        let padded = String(repeating: "0", count: 3 - digits.count) + digits
        return whole.dropLast() + "." + padded + "Z"
    }

    /// Parses an ISO-8601 date-time (`Z` or a numeric offset, optional fraction).
    /// Returns `nil` for anything else.
    public static func parseTimestamp(_ text: String) -> Date? {
        guard let tIndex = text.firstIndex(where: { $0 == "T" || $0 == "t" }) else { return nil }
        var withoutFraction = text
        var fractionMilliseconds: Int64 = 0
        if let dot = text[tIndex...].firstIndex(of: ".") {
            let afterDot = text.index(after: dot)
            let digitsEnd = text[afterDot...].firstIndex(where: { !$0.isASCII || !$0.isNumber }) ?? text.endIndex
            let digits = text[afterDot..<digitsEnd]
            guard !digits.isEmpty else { return nil }
            let firstThree = String(digits.prefix(3))
            let padded = firstThree + String(repeating: "0", count: 3 - firstThree.count)
            guard let value = Int64(padded) else { return nil }
            fractionMilliseconds = value
            withoutFraction = String(text[..<dot]) + String(text[digitsEnd...])
        }
        guard let whole = try? wholeSecondsStyle.parse(withoutFraction) else { return nil }
        let wholeMilliseconds = milliseconds(of: whole)
        return dateFromMilliseconds(wholeMilliseconds + fractionMilliseconds)
    }

    private static var wholeSecondsStyle: Date.ISO8601FormatStyle {
        Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 0) ?? .gmt)
    }

    /// Milliseconds since 1970, clamped to ±2^53 so absurd dates cannot trap.
    private static func milliseconds(of date: Date) -> Int64 {
        let limit = 9_007_199_254_740_992.0
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite else { return value > 0 ? Int64(limit) : -Int64(limit) }
        return Int64(min(max(value, -limit), limit))
    }

    private static func dateFromMilliseconds(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal, two digits per byte (digests, random ids).
    public var hexEncoded: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
