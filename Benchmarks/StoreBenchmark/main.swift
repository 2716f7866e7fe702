// The MediaStore side of `scripts/bench store` (raw-gridfs/raw_gridfs.c is the C side).
//
//   StoreBenchmark upload   URI BUCKET FILENAME MIB
//   StoreBenchmark download URI BUCKET FILENAME
//   StoreBenchmark range    URI BUCKET FILENAME OFFSET LENGTH
//   StoreBenchmark put      URI BUCKET FILENAME PATH   (stores a file from disk)
//
// Each prints "seconds=<s> bytes=<n>", timing only the transfer itself.
import Foundation
import MediaStore
import NIOCore

/// Yields the same 256 KiB buffer `count` times: the source costs nothing, so the
/// figure is MediaStore's own throughput.
struct RepeatedBuffer: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer
    let total: Int

    func makeAsyncIterator() -> Iterator { Iterator(buffer: buffer, remaining: total) }

    struct Iterator: AsyncIteratorProtocol {
        let buffer: ByteBuffer
        var remaining: Int
        mutating func next() async -> ByteBuffer? {
            guard remaining > 0 else { return nil }
            let size = Swift.min(remaining, buffer.readableBytes)
            remaining -= size
            return buffer.getSlice(at: buffer.readerIndex, length: size)
        }
    }
}

func report(_ start: ContinuousClock.Instant, bytes: Int) {
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(String(format: "seconds=%.6f bytes=%d", seconds, bytes))
}

func fileNamed(_ name: String, in bucket: GridFSBucket) async throws -> GridFSFile {
    guard let file = try await bucket.find(["filename": .string(name)], limit: 1).first else {
        FileHandle.standardError.write(Data("no such file: \(name)\n".utf8))
        exit(1)
    }
    return file
}

let arguments = CommandLine.arguments
guard arguments.count >= 5 else {
    FileHandle.standardError.write(Data("usage: StoreBenchmark upload|download|range URI BUCKET FILENAME ...\n".utf8))
    exit(2)
}
let store = try MediaStore(configuration: .init(uri: arguments[2]))
let bucket = store.bucket(arguments[3])
let filename = arguments[4]

switch (arguments[1], arguments.count) {
case ("upload", 6):
    guard let mebibytes = Int(arguments[5]) else { exit(2) }
    let pattern = (0..<(256 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let source = RepeatedBuffer(buffer: ByteBuffer(bytes: pattern), total: mebibytes << 20)
    let start = ContinuousClock.now
    let file = try await bucket.upload(filename: filename, from: source)
    report(start, bytes: file.length)
case ("download", 5):
    let file = try await fileNamed(filename, in: bucket)
    let start = ContinuousClock.now
    var received = 0
    for try await buffer in try bucket.stream(file) { received += buffer.readableBytes }
    report(start, bytes: received)
case ("range", 7):
    guard let offset = Int(arguments[5]), let length = Int(arguments[6]) else { exit(2) }
    // Timed from the lookup on, like the C side's find + seek + read.
    let start = ContinuousClock.now
    let file = try await fileNamed(filename, in: bucket)
    var received = 0
    for try await buffer in try bucket.stream(file, range: offset..<offset + length) { received += buffer.readableBytes }
    report(start, bytes: received)
case ("put", 6):
    guard let handle = FileHandle(forReadingAtPath: arguments[5]) else { exit(2) }
    // Read lazily, 1 MiB per element, as the upload asks for it.
    nonisolated(unsafe) let reader = handle
    let source = AsyncStream<ByteBuffer>(unfolding: {
        guard let data = try? reader.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
        return ByteBuffer(bytes: data)
    })
    let start = ContinuousClock.now
    let file = try await bucket.upload(filename: filename, from: source)
    report(start, bytes: file.length)
default:
    FileHandle.standardError.write(Data("bad arguments\n".utf8))
    exit(2)
}
await store.shutdown()
