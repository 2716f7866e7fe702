import Crypto
import Foundation
import MediaStore
import NIOCore
import Testing

@Suite("GridFS against a real server")
struct GridFSTests {
    @Test("50 MB streamed in and read back identical (sha256)")
    func largeRoundTrip() async throws {
        try await withStore { (store: MediaStore) async throws in
            let bucket = store.bucket("uploads")
            let length = 50 * 1024 * 1024
            let file = try await bucket.upload(
                filename: "big.mp4", metadata: ["videoId": "v-big"], from: TestBytes.Source(length: length)
            )
            #expect(file.length == length)
            #expect(file.chunkSize == GridFSBucket.defaultChunkSize)
            #expect(file.filename == "big.mp4")
            #expect(try await bucket.chunkCount(id: file.id) == file.chunkCount)

            var hasher = SHA256()
            var received = 0
            var windows = 0
            for try await buffer in try bucket.stream(file) {
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                received += buffer.readableBytes
                windows += 1
            }
            #expect(received == length)
            #expect(hasher.finalize().hex == TestBytes.sha256(length: length))
            // Bounded windows: many small queries, never one for the whole file.
            #expect(windows >= length / store.configuration.readWindowBytes)
        }
    }

    @Test("range reads at the start, middle, end and across chunk boundaries equal the source")
    func rangeReads() async throws {
        // A small window (3 chunks of 1000 bytes) so ranges span several windows.
        try await withStore(readWindowBytes: 3000) { (store: MediaStore) async throws in
            let bucket = store.bucket("uploads")
            let length = 20_500
            let file = try await bucket.upload(
                filename: "ranges.bin", chunkSize: 1000, from: TestBytes.Source(length: length, bufferSize: 777)
            )
            #expect(file.chunkCount == 21)
            let ranges: [Range<Int>] = [
                0..<1, 0..<1000, 0..<1001, 999..<1001, 1000..<2000, 2500..<9123,
                10_000..<10_001, 4321..<17_777, 20_000..<20_500, 20_499..<20_500, 0..<length, 7..<7,
            ]
            for range in ranges {
                let bytes = try await bucket.read(id: file.id, range: range)
                #expect(bytes == TestBytes.bytes(range), "range \(range)")
            }
            await #expect(throws: MediaStoreError.self) { _ = try await bucket.read(id: file.id, range: 20_000..<20_501) }
            await #expect(throws: MediaStoreError.self) { _ = try await bucket.read(id: ObjectID.generate()) }
        }
    }

    @Test("an upload whose source fails leaves no chunks and no file")
    func abortedUpload() async throws {
        try await withStore { (store: MediaStore) async throws in
            let bucket = store.bucket("uploads")
            let id = ObjectID.generate()
            await #expect(throws: BrokenUpload.self) {
                _ = try await bucket.upload(
                    filename: "broken.mp4", id: id, from: TestBytes.Source(length: 5_000_000, failAfter: 2_000_000)
                )
            }
            #expect(try await bucket.chunkCount(id: id) == 0)
            #expect(try await bucket.file(id: id) == nil)
            #expect(try await bucket.find(["filename": "broken.mp4"]).isEmpty)
        }
    }

    @Test("a cancelled upload leaves no chunks and no file")
    func cancelledUpload() async throws {
        try await withStore { (store: MediaStore) async throws in
            let bucket = store.bucket("uploads")
            let id = ObjectID.generate()
            let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
            let upload = Task { try await bucket.upload(filename: "cancel.mp4", id: id, from: stream) }
            for index in 0..<8 {
                continuation.yield(ByteBuffer(bytes: TestBytes.bytes(index * 100_000..<(index + 1) * 100_000)))
            }
            // Wait until some chunks are in, then cancel mid-upload.
            for _ in 0..<3000 where try await bucket.chunkCount(id: id) == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await bucket.chunkCount(id: id) > 0)
            upload.cancel()
            continuation.yield(ByteBuffer(bytes: [1, 2, 3]))
            continuation.finish()
            await #expect(throws: CancellationError.self) { _ = try await upload.value }
            #expect(try await bucket.chunkCount(id: id) == 0)
            #expect(try await bucket.file(id: id) == nil)
        }
    }

    @Test("delete removes the file document and every chunk; find by metadata")
    func deleteAndFind() async throws {
        try await withStore { (store: MediaStore) async throws in
            let bucket = store.bucket("renditions")
            let keep = try await bucket.upload(filename: "v1/720p/seg0.m4s", bytes: TestBytes.bytes(0..<600_000), metadata: ["videoId": "v1"])
            let drop = try await bucket.upload(filename: "v2/720p/seg0.m4s", bytes: TestBytes.bytes(0..<600_000), metadata: ["videoId": "v2"])
            let empty = try await bucket.upload(filename: "v1/empty.vtt", bytes: [], metadata: ["videoId": "v1"])
            #expect(empty.length == 0)
            #expect(try await bucket.read(id: empty.id).isEmpty)

            let v1 = try await bucket.find(["metadata.videoId": "v1"], sort: ["filename": 1])
            #expect(v1.map(\.id) == [keep.id, empty.id])  // "v1/7…" sorts before "v1/e…"
            #expect(v1.first?.metadata?["videoId"]?.string == "v1")

            #expect(try await bucket.chunkCount(id: drop.id) == 3)
            #expect(try await bucket.delete(id: drop.id))
            #expect(try await bucket.chunkCount(id: drop.id) == 0)
            #expect(try await bucket.file(id: drop.id) == nil)
            #expect(try await bucket.delete(id: drop.id) == false)
            #expect(try await bucket.chunkCount(id: keep.id) == 3)

            // Uploading again under an existing id is refused and leaves the existing file whole.
            await #expect {
                _ = try await bucket.upload(filename: "again", bytes: [1, 2, 3], id: keep.id)
            } throws: { error in
                guard case MediaStoreError.duplicateKey = error else { return false }
                return true
            }
            #expect(try await bucket.read(id: keep.id) == TestBytes.bytes(0..<600_000))
        }
    }

    @Test("pymongo reads what MediaStore wrote, MediaStore reads what pymongo wrote")
    func pymongoInterop() async throws {
        let (url, _) = try TestMongo.uniqueDatabaseURL()
        let store = try MediaStore(configuration: .init(uri: url))
        defer { Task { await store.shutdown() } }
        let bucket = store.bucket("fs")
        try await bucket.ensureIndexes()
        let length = 3 * 1024 * 1024 + 12_345

        let ours = try await bucket.upload(filename: "from-swift.bin", from: TestBytes.Source(length: length))
        let theirView = try PyMongoPeer.run(["read", url, "fs", ours.id.description]).split(separator: " ")
        #expect(theirView.first.map(String.init) == String(length))
        #expect(theirView.last.map(String.init) == TestBytes.sha256(length: length))

        let written = try PyMongoPeer.run(["write", url, "fs", "from-python.bin", String(length)]).split(separator: " ")
        let theirID = try #require(written.first.flatMap { ObjectID(String($0)) })
        let file = try #require(try await bucket.file(id: theirID))
        #expect(file.filename == "from-python.bin")
        #expect(file.metadata?["writer"]?.string == "pymongo")
        var hasher = SHA256()
        for try await buffer in try bucket.stream(file) {
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        #expect(hasher.finalize().hex == written.last.map(String.init))
        let middle = try await bucket.read(id: theirID, range: 1_000_000..<1_500_000)
        #expect(middle == TestBytes.bytes(1_000_000..<1_500_000))
        await store.shutdown()
    }
}
