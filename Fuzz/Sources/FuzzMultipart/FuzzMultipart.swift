import Dispatch
import FuzzSupport
import NIOCore

/// Byte 0 (mod 70, plus 1) is the boundary's length, taken from the next bytes; the rest is the
/// body, delivered in chunks of varying sizes. Parts must be well-formed events; errors are
/// fine, crashes and hangs are not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count > 2 else { return 0 }
    let boundaryLength = Int(bytes[0]) % 70 + 1
    guard bytes.count > boundaryLength + 1 else { return 0 }
    let boundary = String(decoding: bytes[1...boundaryLength], as: UTF8.self)
    let body = Array(bytes[(boundaryLength + 1)...])
    guard let reader = try? MultipartReader(boundary: boundary) else { return 0 }
    var chunks: [ByteBuffer] = []
    var index = 0, step = 1
    while index < body.count {
        let end = min(body.count, index + step)
        chunks.append(ByteBuffer(bytes: body[index..<end]))
        index = end
        step = step * 3 % 17 + 1
    }
    let done = DispatchSemaphore(value: 0)
    Task {
        var open = false
        do {
            try await reader.read(chunks.async) { event in
                switch event {
                case .partStart: precondition(!open, "a part started inside a part"); open = true
                case .bytes: precondition(open, "bytes outside a part")
                case .partEnd: precondition(open, "a part ended twice"); open = false
                }
            }
        } catch {}
        done.signal()
    }
    done.wait()
    return 0
}

extension Array where Element == ByteBuffer {
    /// The chunks as the async sequence a request body is.
    var async: AsyncStream<ByteBuffer> {
        AsyncStream { continuation in
            for chunk in self { continuation.yield(chunk) }
            continuation.finish()
        }
    }
}

/// The entry point SwiftPM links for this executable.
@_cdecl("FuzzMultipart_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzzMultipart(data, size) }
}
