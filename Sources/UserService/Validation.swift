import Foundation
import ServiceSupport

/// A normalised, validated email address: trimmed, Unicode NFC, lower-cased.
///
/// Accepted: one `@`; a local part of 1–64 bytes without spaces, control, format (bidi,
/// zero-width) or `"(),:;<>[\]` characters; a domain of at least two dot-separated labels of
/// 1–63 characters (letters of any script, digits, `-` not at either end); 254 bytes at most.
struct EmailAddress: Sendable, Hashable {
    let value: String

    init(_ raw: String) throws(APIError) {
        let normalized = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            .precomposedStringWithCanonicalMapping.lowercased()
        guard !normalized.isEmpty, normalized.utf8.count <= 254 else { throw Self.invalid }
        let parts = normalized.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw Self.invalid }
        let local = parts[0], domain = parts[1]
        guard (1...64).contains(local.utf8.count), !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else {
            throw Self.invalid
        }
        guard local.unicodeScalars.allSatisfy(Self.isAllowedInLocalPart) else { throw Self.invalid }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy(Self.isValidLabel) else { throw Self.invalid }
        guard let topLevel = labels.last, !topLevel.allSatisfy(\.isNumber) else { throw Self.invalid }
        value = normalized
    }

    static let invalid = APIError(.badRequest, code: "invalid_email", message: "The email address is not valid.")

    private static let forbiddenInLocalPart = Set("\"(),:;<>[\\]@ ".unicodeScalars)

    private static func isAllowedInLocalPart(_ scalar: Unicode.Scalar) -> Bool {
        !forbiddenInLocalPart.contains(scalar) && !isControlOrFormat(scalar) && !scalar.properties.isWhitespace
    }

    private static func isValidLabel(_ label: Substring) -> Bool {
        guard (1...63).contains(label.count), !label.hasPrefix("-"), !label.hasSuffix("-") else { return false }
        return label.unicodeScalars.allSatisfy { scalar in
            scalar == "-" || scalar.properties.numericType != nil && scalar.isASCII
                || (scalar.properties.isAlphabetic && !isControlOrFormat(scalar))
        }
    }
}

/// True for control characters and invisible format characters (bidi overrides, zero-width joiners).
func isControlOrFormat(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator: true
    default: false
    }
}

/// Password rules: at least 10 characters and at most 1,024 bytes of UTF-8.
enum PasswordPolicy {
    static let minimumCharacters = 10
    static let maximumBytes = 1024

    static func validate(_ password: String) throws(APIError) {
        guard password.count >= minimumCharacters else {
            throw APIError(.badRequest, code: "weak_password", message: "The password must be at least \(minimumCharacters) characters long.")
        }
        guard password.utf8.count <= maximumBytes else {
            throw APIError(.badRequest, code: "password_too_long", message: "The password must be at most \(maximumBytes) bytes long.")
        }
    }
}

/// A display name: trimmed, NFC, 1–100 characters, no control or invisible format characters.
enum DisplayName {
    static let maximumCharacters = 100

    static func validate(_ raw: String) throws(APIError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
        guard (1...maximumCharacters).contains(name.count), !name.unicodeScalars.contains(where: isControlOrFormat) else {
            throw APIError(
                .badRequest, code: "invalid_display_name",
                message: "The display name must be 1 to \(maximumCharacters) visible characters."
            )
        }
        return name
    }
}
