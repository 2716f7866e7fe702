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
