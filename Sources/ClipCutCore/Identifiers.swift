import Foundation

/// An identifier backed by a UUID, written as a lowercase canonical UUID string
/// (`"3f2b8c1e-…"`) in JSON, URLs, Redis keys and database rows.
///
/// Parsing is strict: only the 36-character canonical form (either case) is accepted, so a
/// path segment or stream field that is not an id never reaches a database query.
public protocol UUIDIdentifier: Hashable, Sendable, Codable, LosslessStringConvertible {
    /// The underlying UUID.
    var uuid: UUID { get }
    /// Wraps an existing UUID.
    init(uuid: UUID)
}

extension UUIDIdentifier {
    /// A new random (version 4) identifier.
    public static func random() -> Self {
        Self(uuid: UUID())
    }

    /// Parses the canonical UUID form; returns `nil` for anything else
    /// (empty strings, braces, missing dashes, surrounding whitespace, trailing garbage).
    public init?(_ description: String) {
        guard description.utf8.count == 36, let uuid = UUID(uuidString: description) else { return nil }
        self.init(uuid: uuid)
    }

    /// The lowercase canonical form.
    public var description: String {
        uuid.uuidString.lowercased()
    }

    /// Decodes from a JSON string; a malformed id is a `DecodingError.dataCorrupted`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Self(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "Expected a UUID string for \(Self.self)"
            )
        }
        self = parsed
    }

    /// Encodes as the lowercase canonical string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Identifies a video everywhere: the `videos` document, GridFS names, events, Redis keys.
public struct VideoID: UUIDIdentifier, Comparable {
    /// The underlying UUID.
    public let uuid: UUID

    /// Wraps an existing UUID.
    public init(uuid: UUID) {
        self.uuid = uuid
    }

    /// Orders by the canonical string, giving a stable order for listings and tests.
    public static func < (lhs: VideoID, rhs: VideoID) -> Bool {
        lhs.description < rhs.description
    }
}

/// Identifies a user account (user-service's `users.id`, a token's `sub`).
public struct UserID: UUIDIdentifier, Comparable {
    /// The underlying UUID.
    public let uuid: UUID

    /// Wraps an existing UUID.
    public init(uuid: UUID) {
        self.uuid = uuid
    }

    /// Orders by the canonical string.
    public static func < (lhs: UserID, rhs: UserID) -> Bool {
        lhs.description < rhs.description
    }
}

/// A user's role, carried in the token's `role` claim and stored by user-service.
public enum UserRole: String, Codable, Sendable, CaseIterable {
    /// An ordinary account: sees and changes only its own things.
    case user
    /// An administrator: may list users and read platform-wide statistics.
    case admin
}
