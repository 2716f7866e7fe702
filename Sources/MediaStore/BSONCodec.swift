import Foundation

/// Why a byte string is not a valid BSON document.
public struct BSONDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, and where.
    public let reason: String
    public var description: String { "invalid BSON: \(reason)" }
}

extension BSONDocument {
    /// The document in BSON wire form (the bytes `bson_new_from_data` takes).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        BSONWriter.writeDocument(self, into: &out)
        return out
    }

    /// Decodes a BSON byte string. Every length and type byte is checked: malformed input
    /// throws ``BSONDecodingError`` and never reads out of bounds.
    public init(bsonBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = BSONReader(bytes: bytes)
        self = try reader.readDocument()
        guard reader.offset == bytes.count else { throw BSONDecodingError(reason: "trailing bytes") }
    }

    /// Decodes a BSON byte string held in an array.
    public init(bsonBytes bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try BSONDocument(bsonBytes: $0) }
    }
}

enum BSONWriter {
    static func writeDocument(_ document: BSONDocument, into out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        for (key, value) in document.elements {
            writeElement(key: key, value: value, into: &out)
        }
        out.append(0)
        patchLength(at: start, in: &out)
    }

    private static func writeArray(_ values: [BSONValue], into out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        for (index, value) in values.enumerated() {
            writeElement(key: String(index), value: value, into: &out)
        }
        out.append(0)
        patchLength(at: start, in: &out)
    }

    private static func patchLength(at start: Int, in out: inout [UInt8]) {
        let length = UInt32(out.count - start)
        withUnsafeBytes(of: length.littleEndian) { out.replaceSubrange(start..<start + 4, with: $0) }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Keys are C strings: an embedded NUL would end them early, so it is dropped.
    private static func appendCString(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8.filter { $0 != 0 })
        out.append(0)
    }

    private static func writeElement(key: String, value: BSONValue, into out: inout [UInt8]) {
        let typeIndex = out.count
        out.append(0)
        appendCString(key, to: &out)
        let type: UInt8
        switch value {
        case .double(let number):
            type = 0x01
            append(number.bitPattern, to: &out)
        case .string(let text):
            type = 0x02
            let utf8 = Array(text.utf8)
            append(Int32(utf8.count + 1), to: &out)
            out.append(contentsOf: utf8)
            out.append(0)
        case .document(let document):
            type = 0x03
            writeDocument(document, into: &out)
        case .array(let values):
            type = 0x04
            writeArray(values, into: &out)
        case .binary(let bytes, let subtype):
            type = 0x05
            append(Int32(bytes.count), to: &out)
            out.append(subtype)
            out.append(contentsOf: bytes)
        case .objectID(let id):
            type = 0x07
            out.append(contentsOf: id.bytes)
        case .bool(let flag):
            type = 0x08
            out.append(flag ? 1 : 0)
        case .date(let date):
            type = 0x09
            append(Int64((date.timeIntervalSince1970 * 1000).rounded()), to: &out)
        case .null:
            type = 0x0A
        case .int32(let number):
            type = 0x10
            append(number, to: &out)
        case .timestamp(let stamp):
            type = 0x11
            append(stamp, to: &out)
        case .int64(let number):
            type = 0x12
            append(number, to: &out)
        }
        out[typeIndex] = type
    }
}

struct BSONReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    private var depth = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private func fail(_ reason: String) -> BSONDecodingError {
        BSONDecodingError(reason: "\(reason) at byte \(offset)")
    }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - offset else { throw fail("truncated") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    private mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let raw = try take(MemoryLayout<T>.size)
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: raw) }
        return T(littleEndian: value)
    }

    private mutating func readCString() throws -> String {
        guard let end = bytes[offset...].firstIndex(of: 0) else { throw fail("unterminated key") }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), as: UTF8.self)
        offset = end + 1
        return text
    }

    mutating func readDocument() throws -> BSONDocument {
        BSONDocument(try readElements())
    }

    private mutating func readElements() throws -> [(String, BSONValue)] {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 100 else { throw fail("nesting too deep") }
        let start = offset
        let length = Int(try read(Int32.self))
        guard length >= 5, length <= bytes.count - start else { throw fail("bad document length \(length)") }
        let end = start + length
        var elements: [(String, BSONValue)] = []
        while offset < end - 1 {
            let type = try read(UInt8.self)
            let key = try readCString()
            elements.append((key, try readValue(type: type)))
        }
        guard offset == end - 1, try read(UInt8.self) == 0 else { throw fail("document overruns its length") }
        return elements
    }

    private mutating func readValue(type: UInt8) throws -> BSONValue {
        switch type {
        case 0x01:
            return .double(Double(bitPattern: try read(UInt64.self)))
        case 0x02:
            let length = Int(try read(Int32.self))
            guard length >= 1 else { throw fail("bad string length") }
            let raw = try take(length)
            guard raw[length - 1] == 0 else { throw fail("unterminated string") }
            return .string(String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<length - 1]), as: UTF8.self))
        case 0x03:
            return .document(try readDocument())
        case 0x04:
            return .array(try readElements().map(\.1))
        case 0x05:
            let length = Int(try read(Int32.self))
            let subtype = try read(UInt8.self)
            return .binary(Array(try take(length)), subtype: subtype)
        case 0x07:
            guard let id = ObjectID(bytes: Array(try take(12))) else { throw fail("bad ObjectId") }
            return .objectID(id)
        case 0x08:
            return .bool(try read(UInt8.self) != 0)
        case 0x09:
            return .date(Date(timeIntervalSince1970: Double(try read(Int64.self)) / 1000))
        case 0x0A:
            return .null
        case 0x10:
            return .int32(try read(Int32.self))
        case 0x11:
            return .timestamp(try read(UInt64.self))
        case 0x12:
            return .int64(try read(Int64.self))
        default:
            throw fail("unsupported BSON type 0x\(String(type, radix: 16))")
        }
    }
}
