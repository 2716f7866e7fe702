import Foundation

/// What one message type carries besides the common fields of ``ClipCutMessage``.
///
/// A payload is a plain struct whose `Codable`, `Hashable` and memberwise initialiser the compiler
/// synthesises; ``MessageEnvelope`` adds the common fields around it. Envelope and payload share one
/// flat JSON object, so a payload must not have a field named `type`, `version`, `eventId` or `at`.
///
/// The payload's synthesised coding gives the wire rules of its own fields: a non-optional field is
/// required, an optional one is left out when `nil` and may be missing, an unknown field is ignored,
/// and an ``EmptyIfMissing`` array decodes as empty when missing.
public protocol MessagePayload: Codable, Hashable, Sendable {
    /// The `type` written and expected for messages with this payload.
    static var messageType: MessageType { get }
    /// The schema version this code writes for the type.
    static var currentVersion: Int { get }
}

extension MessagePayload {
    /// Every message type is at version 1 so far.
    public static var currentVersion: Int { 1 }
}

/// The payload of a message about one video: it has the `videoId` (see ``VideoMessage``).
public protocol VideoMessagePayload: MessagePayload {
    /// The video it is about.
    var videoId: VideoID { get set }
}

/// A job or event: the common fields (`type`, `version`, `eventId`, `at`) around a ``MessagePayload``.
///
/// Each message type is a specialisation named by a typealias, e.g.
/// `public typealias VideoReadyEvent = MessageEnvelope<VideoReadyPayload>`, with an initialiser that
/// takes the payload's fields. The payload's fields read and write as if they were the envelope's own
/// (`event.renditions`), through key paths, so the compiler checks them.
///
/// Decoding checks `type` (``MessageDecodingError``), reads a missing `version` as 1, normalises `at` to
/// whole milliseconds, and then decodes the payload from the same JSON object; encoding writes the
/// common fields and then lets the payload encode into the same keyed container.
@dynamicMemberLookup
public struct MessageEnvelope<Payload: MessagePayload>: ClipCutMessage {
    /// The `type` of the payload.
    public static var messageType: MessageType { Payload.messageType }
    /// The schema version this code writes for the payload's type.
    public static var currentVersion: Int { Payload.currentVersion }

    /// Schema version the message was written with.
    public var version: Int
    /// Unique id of this message.
    public var eventId: UUID
    /// When it happened (whole milliseconds).
    public var at: Date
    /// The fields of this message type.
    public var payload: Payload

    /// Creates the message at the current schema version, with `at` rounded to whole milliseconds.
    public init(_ payload: Payload, at: Date = Date(), eventId: UUID = UUID()) {
        self.version = Self.currentVersion
        self.eventId = eventId
        self.at = JSONCoding.normalized(at)
        self.payload = payload
    }

    /// Reads a field of the payload.
    public subscript<Value>(dynamicMember keyPath: KeyPath<Payload, Value>) -> Value {
        payload[keyPath: keyPath]
    }

    /// Reads or writes a field of the payload.
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<Payload, Value>) -> Value {
        get { payload[keyPath: keyPath] }
        set { payload[keyPath: keyPath] = newValue }
    }

    /// The keys of the common fields.
    private enum HeaderKeys: String, CodingKey {
        case type, version, eventId, at
    }

    /// Decodes the message, checking its `type`.
    public init(from decoder: any Decoder) throws {
        let header = try decoder.container(keyedBy: HeaderKeys.self)
        guard let found = try header.decodeIfPresent(String.self, forKey: .type) else {
            throw MessageDecodingError.missingType
        }
        guard found == Self.messageType.rawValue else {
            throw MessageDecodingError.typeMismatch(expected: Self.messageType, found: found)
        }
        version = try header.decodeIfPresent(Int.self, forKey: .version) ?? 1
        eventId = try header.decode(UUID.self, forKey: .eventId)
        at = JSONCoding.normalized(try header.decode(Date.self, forKey: .at))
        payload = try Payload(from: decoder)
    }

    /// Encodes the message as one flat object: the common fields, then the payload's.
    public func encode(to encoder: any Encoder) throws {
        var header = encoder.container(keyedBy: HeaderKeys.self)
        try header.encode(Self.messageType, forKey: .type)
        try header.encode(version, forKey: .version)
        try header.encode(eventId, forKey: .eventId)
        try header.encode(at, forKey: .at)
        try payload.encode(to: encoder)
    }
}

extension MessageEnvelope: VideoMessage where Payload: VideoMessagePayload {
    /// The video it is about.
    public var videoId: VideoID {
        get { payload.videoId }
        set { payload.videoId = newValue }
    }
}

/// An array field that decodes as empty when it is missing or `null`, and is always encoded.
///
/// For payload fields added after their message type was first written, so older messages still decode.
@propertyWrapper
public struct EmptyIfMissing<Element: Codable & Hashable & Sendable>: Codable, Hashable, Sendable {
    /// The array.
    public var wrappedValue: [Element]

    /// Wraps an array.
    public init(wrappedValue: [Element]) {
        self.wrappedValue = wrappedValue
    }

    /// Decodes the array itself (a missing key is handled by the container, below).
    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode([Element].self)
    }

    /// Encodes the array itself, also when it is empty.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension KeyedDecodingContainer {
    /// Decodes an ``EmptyIfMissing`` field, as empty when the key is missing or `null`.
    ///
    /// The synthesised `init(from:)` of a payload calls this overload for its `@EmptyIfMissing` fields.
    public func decode<Element>(_ type: EmptyIfMissing<Element>.Type, forKey key: Key) throws -> EmptyIfMissing<Element> {
        EmptyIfMissing(wrappedValue: try decodeIfPresent([Element].self, forKey: key) ?? [])
    }
}
