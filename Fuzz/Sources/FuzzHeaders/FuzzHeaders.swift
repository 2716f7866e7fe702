import Foundation
import FuzzSupport

/// Byte 0 picks the representation length; the rest is a `Range` header, a tus
/// `Upload-Metadata` header and an HTTP date at once. Checks the answers' invariants.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHeaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let length = Int(first) * 97
    switch ByteRangeRequest(header: text, length: length) {
    case .partial(let range):
        precondition(range.lowerBound >= 0 && range.upperBound <= length && !range.isEmpty, "range \(range) outside 0..<\(length)")
    case .whole, .unsatisfiable:
        break
    }
    if let pairs = try? TusMetadata.parse(text) {
        precondition(pairs.keys.allSatisfy { !$0.isEmpty && !$0.contains(" ") && !$0.contains(",") }, "bad key in \(pairs)")
    }
    if let date = HTTPDate.date(from: text) {
        precondition(HTTPDate.date(from: HTTPDate.string(from: date)) != nil, "a date does not round-trip")
    }
    return 0
}

/// The entry point SwiftPM links for this executable.
@_cdecl("FuzzHeaders_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzzHeaders(data, size) }
}
