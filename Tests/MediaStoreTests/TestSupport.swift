import Crypto
import Foundation
import MediaStore
import NIOCore
import Testing

/// Integration tests use the SecantusDB server `scripts/test` starts (`CLIPCUT_MONGO_URL`),
/// each test in a database of its own.
enum TestMongo {
    static func baseURL() throws -> String {
        try #require(
            ProcessInfo.processInfo.environment["CLIPCUT_MONGO_URL"],
            "CLIPCUT_MONGO_URL is not set: run the tests through scripts/test, which starts the server"
        )
    }

    /// The base URL with its database replaced by a fresh one.
    static func uniqueDatabaseURL() throws -> (url: String, database: String) {
        let base = try baseURL()
        let database = "t_\(UUID().uuidString.prefix(8).lowercased())"
        guard let slash = base.range(of: "/", options: .backwards, range: base.index(base.startIndex, offsetBy: 10)..<base.endIndex) else {
            return ("\(base)/\(database)", database)
        }
        return (String(base[..<slash.lowerBound]) + "/" + database, database)
    }
}

/// Runs `body` with a store on a fresh database, and shuts it down.
func withStore<T>(
    readWindowBytes: Int = 4 * 1024 * 1024, maxClients: Int = 64, _ body: (MediaStore) async throws -> T
) async throws -> T {
    let (url, _) = try TestMongo.uniqueDatabaseURL()
    let store = try MediaStore(configuration: .init(uri: url, maxClients: maxClients, readWindowBytes: readWindowBytes))
    do {
        let result = try await body(store)
        await store.shutdown()
        return result
    } catch {
        await store.shutdown()
        throw error
    }
}

/// Deterministic test bytes: the byte at any offset can be computed on its own, so a range
/// of a 50 MB "file" can be checked without keeping the file.
enum TestBytes {
    /// The pattern repeats every `period` bytes: a prime, so it never lines up with chunks.
    static let period = 1_000_003
    static let table: [UInt8] = (0..<period).map { offset in
        let mixed = UInt64(offset) &* 0x9E37_79B9_7F4A_7C15
        return UInt8(truncatingIfNeeded: (mixed >> 29) ^ (mixed >> 47))
    }

    static func byte(at offset: Int) -> UInt8 {
        table[offset % period]
    }

    static func bytes(_ range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var offset = range.lowerBound
        while offset < range.upperBound {
            let start = offset % period
            let take = Swift.min(period - start, range.upperBound - offset)
            out.append(contentsOf: table[start..<start + take])
            offset += take
        }
        return out
    }

    /// An async sequence of buffers of `bufferSize` covering `0..<length`; `failAfter`
    /// makes it throw once that many bytes were produced (a broken upload).
    struct Source: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let length: Int
        var bufferSize = 64 * 1024
        var failAfter: Int? = nil

        func makeAsyncIterator() -> Iterator { Iterator(source: self) }

        struct Iterator: AsyncIteratorProtocol {
            let source: Source
            var offset = 0

            mutating func next() async throws -> ByteBuffer? {
                if let failAfter = source.failAfter, offset >= failAfter { throw BrokenUpload() }
                guard offset < source.length else { return nil }
                let end = Swift.min(source.length, offset + source.bufferSize)
                let buffer = ByteBuffer(bytes: TestBytes.bytes(offset..<end))
                offset = end
                return buffer
            }
        }
    }

    static func sha256(length: Int) -> String {
        var hasher = SHA256()
        var offset = 0
        while offset < length {
            let end = Swift.min(length, offset + 1 << 20)
            hasher.update(data: bytes(offset..<end))
            offset = end
        }
        return hasher.finalize().hex
    }
}

struct BrokenUpload: Error {}

extension Digest {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// Runs the Python GridFS peer (pymongo) from the venv `scripts/bootstrap` made.
enum PyMongoPeer {
    static func run(_ arguments: [String]) throws -> String {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let python = ProcessInfo.processInfo.environment["CLIPCUT_PYTHON"]
            ?? packageRoot.appendingPathComponent(".deps/venv/bin/python").path
        let script = packageRoot.appendingPathComponent("Tests/MediaStoreTests/gridfs_peer.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PeerFailed(status: process.terminationStatus)
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct PeerFailed: Error { let status: Int32 }
}
