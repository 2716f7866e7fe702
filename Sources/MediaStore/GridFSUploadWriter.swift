import NIOCore

/// The write end of an open GridFS upload, handed to the body of
/// ``GridFSBucket/withUploadStream(filename:metadata:id:chunkSize:_:)``.
///
/// Each whole chunk is inserted into `<bucket>.chunks` as it fills, with a client taken from the
/// store for that one insert: an upload whose source is slow (a client sending a byte a minute)
/// holds no connection while it waits. The files document is written last by ``finish()``;
/// until then readers do not see the file.
///
/// Not `Sendable`: it belongs to the task running that body, which writes one buffer after
/// another. Buffers are coalesced to whole chunks, so memory stays flat.
public final class GridFSUploadWriter {
    private let bucket: GridFSBucket
    private let fileID: ObjectID
    private let chunkSize: Int
    private var pending = ByteBuffer()
    private var nextChunk = 0
    private var finished = false
    /// Bytes written so far.
    public private(set) var length = 0
    /// Whether any chunk may have reached the server (what an abort has to remove).
    private(set) var storedAny = false

    /// Whole chunks inserted per call at most (about 1 MiB with the default chunk size).
    static let chunksPerInsert = 4

    init(bucket: GridFSBucket, fileID: ObjectID, chunkSize: Int) {
        self.bucket = bucket
        self.fileID = fileID
        self.chunkSize = max(1, chunkSize)
    }

    /// Appends `buffer`; whole chunks are stored as they fill.
    /// - Throws: `CancellationError` when the task is cancelled, or a ``MediaStoreError``.
    public func write(_ buffer: ByteBuffer) async throws {
        try Task.checkCancellation()
        guard !finished else { throw MediaStoreError.shutdown }
        length += buffer.readableBytes
        var buffer = buffer
        pending.writeBuffer(&buffer)
        while pending.readableBytes >= chunkSize {
            let count = min(Self.chunksPerInsert, pending.readableBytes / chunkSize)
            try await storeChunks(count: count)
        }
    }

    /// Flushes the tail chunk and writes the files document.
    func finish(filename: String, metadata: BSONDocument?) async throws -> GridFSFile {
        try Task.checkCancellation()
        finished = true
        if pending.readableBytes > 0 {
            try await storeChunks(count: 1, tail: true)
        }
        return try await bucket.completeFile(
            id: fileID, length: length, chunkSize: chunkSize, filename: filename, metadata: metadata)
    }

    /// Removes every chunk this writer may have stored. Runs even when the task is cancelled.
    func abort() async {
        guard storedAny else { return }
        let bucket = self.bucket
        let fileID = self.fileID
        // A fresh task: a cancelled task's calls would not run on the store's threads.
        await Task { _ = try? await bucket.deleteChunks(fileID: fileID, from: 0) }.value
    }

    /// Inserts the next `count` whole chunks (or, for the tail, what is left) in one call.
    private func storeChunks(count: Int, tail: Bool = false) async throws {
        var documents: [BSONDocument] = []
        for _ in 0..<count {
            let size = tail ? pending.readableBytes : chunkSize
            guard let bytes = pending.readBytes(length: size) else { break }
            documents.append([
                "files_id": .objectID(fileID), "n": .int32(Int32(clamping: nextChunk)), "data": .binary(bytes, subtype: 0),
            ])
            nextChunk += 1
        }
        pending.discardReadBytes()
        storedAny = true
        try await bucket.chunks.insertMany(documents)
    }
}
