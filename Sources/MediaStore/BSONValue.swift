import Foundation

/// A MongoDB ObjectId: 12 bytes, shown as 24 lowercase hex digits.
public struct ObjectID: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible {
    /// The 12 raw bytes.
    public let bytes: [UInt8]

    /// Wraps 12 bytes; `nil` for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 12 else { return nil }
        self.bytes = bytes
    }

    /// Wraps bytes known to be 12 long (from libbson's generator).
    init(exactly bytes: [UInt8]) {
        precondition(bytes.count == 12, "an ObjectId is 12 bytes")
        self.bytes = bytes
    }

    /// Parses 24 hex digits; `nil` for anything else.
    public init?(_ hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 24 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12)
        for index in stride(from: 0, to: 24, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    public var description: String {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// One BSON value, of the types ClipCut stores.
public indirect enum BSONValue: Sendable, Equatable {
    case double(Double)
    case string(String)
    case document(BSONDocument)
    case array([BSONValue])
    /// Binary data with its subtype (0 = generic).
    case binary([UInt8], subtype: UInt8)
    case objectID(ObjectID)
    case bool(Bool)
    /// UTC datetime, milliseconds precision.
    case date(Date)
    case null
    case int32(Int32)
    case int64(Int64)
    /// The internal MongoDB timestamp type (increment in the low 32 bits).
    case timestamp(UInt64)

    /// The value as an integer, whatever numeric type holds it (when it is whole).
    public var int: Int? {
        switch self {
        case .int32(let value): Int(value)
        case .int64(let value): Int(value)
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: Int(value)
        default: nil
        }
    }

    /// The value as text, for strings.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The embedded document, for documents.
    public var document: BSONDocument? {
        if case .document(let value) = self { return value }
        return nil
    }

    /// The ObjectId, for ObjectIds.
    public var objectID: ObjectID? {
        if case .objectID(let value) = self { return value }
        return nil
    }

    /// The date, for datetimes.
    public var date: Date? {
        if case .date(let value) = self { return value }
        return nil
    }

    /// The boolean, for booleans.
    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The floating-point value of any numeric type.
    public var double: Double? {
        switch self {
        case .double(let value): value
        case .int32(let value): Double(value)
        case .int64(let value): Double(value)
        default: nil
        }
    }

    /// The elements, for arrays.
    public var array: [BSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The bytes, for binary values.
    public var binary: [UInt8]? {
        if case .binary(let value, _) = self { return value }
        return nil
    }
}

extension BSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    /// Integer literals become 64-bit integers.
    public init(integerLiteral value: Int) { self = .int64(Int64(value)) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: BSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, BSONValue)...) { self = .document(BSONDocument(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

/// An ordered BSON document (key order matters to MongoDB for sorts, indexes and commands).
public struct BSONDocument: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The fields in order.
    public private(set) var elements: [(key: String, value: BSONValue)]

    /// Creates a document from ordered fields.
    public init(_ elements: [(String, BSONValue)] = []) {
        self.elements = elements.map { (key: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self.init(elements)
    }

    /// The first value stored under `key`; setting replaces it in place or appends it,
    /// setting `nil` removes it.
    public subscript(key: String) -> BSONValue? {
        get { elements.first { $0.key == key }?.value }
        set {
            let index = elements.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let index?, let value?): elements[index].value = value
            case (let index?, nil): elements.remove(at: index)
            case (nil, let value?): elements.append((key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    /// The field names in order.
    public var keys: [String] { elements.map(\.key) }

    /// Whether the document has no fields.
    public var isEmpty: Bool { elements.isEmpty }

    public static func == (lhs: BSONDocument, rhs: BSONDocument) -> Bool {
        lhs.elements.count == rhs.elements.count
            && zip(lhs.elements, rhs.elements).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
