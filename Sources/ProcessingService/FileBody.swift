import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// A file on disk as a streamed request body: read 1 MiB at a time while the request is sent, so
/// the process holds one chunk of it, never the whole file.
enum FileBody {
    private enum Part { case prefix, file, suffix, done }

    /// The body: `prefix`, the file's bytes, `suffix` (e.g. a multipart part's headers and the
    /// closing boundary), with its exact length.
    static func make(path: String, prefix: ByteBuffer = ByteBuffer(), suffix: ByteBuffer = ByteBuffer()) throws -> HTTPClientRequest.Body {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw MediaAccessError(status: 0, what: "reading \(path)") }
        let fileLength = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        let reader = handle  // read by the one request below, one chunk after another
        let part = Mutex(Part.prefix)
        let chunks = AsyncStream<ByteBuffer>(unfolding: {
            while true {
                switch part.withLock({ $0 }) {
                case .prefix:
                    part.withLock { $0 = .file }
                    if prefix.readableBytes > 0 { return prefix }
                case .file:
                    if let data = try? reader.read(upToCount: 1 << 20), !data.isEmpty { return ByteBuffer(bytes: data) }
                    try? reader.close()
                    part.withLock { $0 = .suffix }
                case .suffix:
                    part.withLock { $0 = .done }
                    if suffix.readableBytes > 0 { return suffix }
                case .done:
                    return nil
                }
            }
        })
        let length = Int64(prefix.readableBytes) + fileLength + Int64(suffix.readableBytes)
        return .stream(chunks, length: .known(length))
    }
}
