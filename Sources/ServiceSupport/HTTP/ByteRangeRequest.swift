import Foundation

/// What a `Range` request header asks of a representation of known length (RFC 9110 §14).
///
/// One range is served (`bytes=a-b`, `bytes=a-`, `bytes=-n`). A header that is not a
/// `bytes` range set, is malformed, or lists several ranges is ignored, as RFC 9110 allows: the
/// whole representation is sent with 200.
public enum ByteRangeRequest: Equatable, Sendable {
    /// No usable `Range` header: send everything (200).
    case whole
    /// Send these bytes (206 with `Content-Range`).
    case partial(Range<Int>)
    /// Syntactically valid, but no byte of it is in the representation (416 with `Content-Range: bytes */length`).
    case unsatisfiable

    /// Interprets `header` against a representation of `length` bytes.
    public init(header: String?, length: Int) {
        guard let header else { self = .whole; return }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.count <= 200, trimmed.lowercased().hasPrefix("bytes=") else { self = .whole; return }
        let set = trimmed.dropFirst("bytes=".count)
        let specs = set.split(separator: ",", omittingEmptySubsequences: false)
        guard specs.count == 1, let spec = specs.first else { self = .whole; return }
        let parts = spec.trimmingCharacters(in: .whitespaces).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { self = .whole; return }
        let first = String(parts[0]), last = String(parts[1])
        guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit), !(first.isEmpty && last.isEmpty) else {
            self = .whole
            return
        }
        if first.isEmpty {
            // Suffix range: the last n bytes. Digits too long for Int mean "more than the whole".
            let suffix = Int(last) ?? Int.max
            guard suffix > 0, length > 0 else { self = .unsatisfiable; return }
            self = .partial(max(0, length - suffix)..<length)
            return
        }
        guard let start = Int(first), start < length else { self = .unsatisfiable; return }
        if last.isEmpty {
            self = .partial(start..<length)
            return
        }
        let end = Int(last) ?? Int.max
        guard end >= start else { self = .whole; return }  // invalid: last before first
        self = .partial(start..<(end >= length - 1 ? length : end + 1))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
