import Foundation
import MediaStore
import NIOCore
import Testing

/// An upload whose source stops sending (a client that sends a byte a minute) must not hold a
/// connection of the store: with more stalled uploads than clients, the store keeps answering.
@Suite("Stalled uploads against a real server")
struct StalledUploadTests {
    @Test("eight stalled uploads on a store of two clients: lookups and reads still answer, then the uploads finish")
    func stalledUploadsDoNotHoldClients() async throws {
        try await withStore(maxClients: 2) { (store: MediaStore) async throws in
            let bucket = store.bucket("uploads")
            let existing = try await bucket.upload(filename: "ready.mp4", bytes: TestBytes.bytes(0..<300_000))
            let streams = (0..<8).map { _ in AsyncStream.makeStream(of: ByteBuffer.self) }
            try await withThrowingTaskGroup(of: GridFSFile.self) { group in
                for (index, stream) in streams.enumerated() {
                    group.addTask { try await bucket.upload(filename: "stalled-\(index).mp4", from: stream.stream) }
                    // Each upload has stored a first chunk and then stalls, its body still open.
                    stream.continuation.yield(ByteBuffer(bytes: TestBytes.bytes(0..<(GridFSBucket.defaultChunkSize + 10))))
                }
                // Before the fix these calls waited for a client that stalled uploads held for ever.
                let answered = try await Liveness.within(.seconds(30)) {
                    let found = try await bucket.find(["filename": "ready.mp4"])
                    let bytes = try await bucket.read(id: existing.id, range: 0..<1000)
                    try await store.ping()
                    return found.count == 1 && bytes == TestBytes.bytes(0..<1000)
                }
                #expect(answered == true)
                for stream in streams {
                    stream.continuation.yield(ByteBuffer(bytes: [1, 2, 3]))
                    stream.continuation.finish()
                }
                var lengths: [Int] = []
                for try await file in group { lengths.append(file.length) }
                #expect(lengths == Array(repeating: GridFSBucket.defaultChunkSize + 13, count: 8))
            }
            let stalled = try await bucket.find(["filename": ["$regex": "^stalled-"]])
            #expect(stalled.count == 8)
            for file in stalled {
                #expect(try await bucket.read(id: file.id) == TestBytes.bytes(0..<(GridFSBucket.defaultChunkSize + 10)) + [1, 2, 3])
            }
        }
    }
}

/// Runs `body` and returns its result, or `nil` when it has not finished within `limit`: a test
/// uses it to tell "answers" from "hangs", never to judge speed.
enum Liveness {
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
