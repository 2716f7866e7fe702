import NIOCore

/// The write end of an open GridFS upload, handed to the body of
/// ``GridFSBucket/withUploadStream(filename:metadata:id:chunkSize:_:)``.
///
/// Not `Sendable`: it belongs to the task running that body, which writes one buffer after
/// another. Buffers are coalesced to about one chunk, so memory stays flat.
public final class GridFSUploadWriter {
    private let lease: ClientLease
    private let session: GridFSUploadSession
    private let chunkSize: Int
    private var pending = ByteBuffer()
    private var finished = false
    /// Bytes written so far.
    public private(set) var length = 0

    init(lease: ClientLease, session: GridFSUploadSession, chunkSize: Int) {
        self.lease = lease
        self.session = session
        self.chunkSize = chunkSize
    }

    /// Appends `buffer`; whole chunks are stored as they fill.
    /// - Throws: `CancellationError` when the task is cancelled, or a ``MediaStoreError``.
    public func write(_ buffer: ByteBuffer) async throws {
        try Task.checkCancellation()
        guard !finished else { throw MediaStoreError.shutdown }
        length += buffer.readableBytes
        let batch: ByteBuffer
        if pending.readableBytes == 0 && buffer.readableBytes >= chunkSize {
            batch = buffer  // large enough on its own: no copy
        } else {
            var buffer = buffer
            pending.writeBuffer(&buffer)
            guard pending.readableBytes >= chunkSize else { return }
            batch = pending
            pending = ByteBuffer()
        }
        let session = self.session
        try await lease.run { _ in try batch.withUnsafeReadableBytes { try session.write($0) } }
    }

    /// Flushes the tail and writes the files document.
    func finish() async throws {
        try Task.checkCancellation()
        finished = true
        let batch = pending
        pending = ByteBuffer()
        let session = self.session
        try await lease.run { _ in
            try batch.withUnsafeReadableBytes { try session.write($0) }
            try session.finish()
        }
    }
}
