import ClipCutCore
import Foundation
import ServiceSupport

/// Validation of what owners type: titles, descriptions, file names.
enum VideoFields {
    /// Longest title, in characters.
    static let maximumTitleLength = 200
    /// Longest description, in characters.
    static let maximumDescriptionLength = 5000

    /// A title: NFC-normalised, trimmed, 1–200 characters, no control characters.
    /// - Throws: 400 `invalid_title`.
    static func title(_ raw: String) throws -> String {
        let title = raw.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw APIError(.badRequest, code: "invalid_title", message: "The title must not be empty.") }
        guard title.count <= maximumTitleLength else {
            throw APIError(.badRequest, code: "invalid_title", message: "The title is longer than \(maximumTitleLength) characters.")
        }
        guard !title.unicodeScalars.contains(where: isForbidden(_:)) else {
            throw APIError(.badRequest, code: "invalid_title", message: "The title contains control characters.")
        }
        return title
    }

    /// A description: NFC-normalised, trimmed, at most 5,000 characters; line breaks and tabs
    /// are the only control characters allowed.
    /// - Throws: 400 `invalid_description`.
    static func description(_ raw: String) throws -> String {
        let text = raw.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= maximumDescriptionLength else {
            throw APIError(.badRequest, code: "invalid_description", message: "The description is longer than \(maximumDescriptionLength) characters.")
        }
        guard !text.unicodeScalars.contains(where: { $0 != "\n" && $0 != "\t" && isForbidden($0) }) else {
            throw APIError(.badRequest, code: "invalid_description", message: "The description contains control characters.")
        }
        return text
    }

    /// The last path component of a client's file name, without control characters, at most
    /// 255 bytes; `"upload"` when nothing is left.
    static func filename(_ raw: String?) -> String {
        let lastComponent = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var cleaned = String(String.UnicodeScalarView(lastComponent.unicodeScalars.filter { !isForbidden($0) }))
            .trimmingCharacters(in: .whitespaces)
        while cleaned.utf8.count > 255 { cleaned.removeLast() }
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? "upload" : cleaned
    }

    /// A title made from a file name: without its extension, `_` as spaces.
    static func defaultTitle(forFilename filename: String) -> String {
        var base = filename
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
        base = base.replacingOccurrences(of: "_", with: " ")
        let trimmed = String(base.prefix(maximumTitleLength)).trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? "Untitled video" : trimmed
    }

    /// Control characters (C0, DEL, C1) and line/paragraph separators, bidi overrides excluded too.
    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`); absent is `false`.
    /// - Throws: 400 `invalid_flag`.
    static func flag(_ raw: String?) throws -> Bool {
        guard let raw else { return false }
        switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no", "": return false
        default: throw APIError(.badRequest, code: "invalid_flag", message: "burnSubtitles must be true or false.")
        }
    }

    /// The language the uploader says is spoken: an ISO 639-1 code Whisper knows, or `nil` for
    /// "detect" (absent, empty, `detect` or `auto`).
    /// - Throws: 400 `invalid_language`.
    static func speechLanguage(_ raw: String?) throws -> String? {
        guard let raw else { return nil }
        let code = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if code.isEmpty || code == "detect" || code == "auto" { return nil }
        guard SpeechLanguages.codes.contains(code) else {
            throw APIError(.badRequest, code: "invalid_language", message: "language must be detect or an ISO 639-1 code Whisper knows (en, es, fr, …).")
        }
        return code
    }

    /// A header value that may be percent-encoded (UTF-8).
    static func headerText(_ value: String?) -> String? {
        guard let value else { return nil }
        return value.removingPercentEncoding ?? value
    }
}
