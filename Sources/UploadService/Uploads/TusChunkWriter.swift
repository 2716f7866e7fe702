import ClipCutCore
import Crypto
import Foundation
import NIOCore
import ServiceSupport

/// Writes one PATCH of a tus upload into GridFS chunks, continuing the stored bytes.
///
/// The partial last chunk of the previous PATCH is read back first and completed; full chunks
/// are stored as they fill, and ``flush()`` stores the partial tail, so after it every byte
/// counted in ``offset`` is stored. The container is sniffed as soon as the first
/// ``ContainerSniffer/wantedPrefixLength`` bytes are there (415 otherwise).
///
/// Not `Sendable`: one request's task owns it.
final class TusChunkWriter {
    private let upload: TusUpload
    private let storage: any MediaStorage
    private var pending = ByteBuffer()
    private var nextChunk: Int
    /// Bytes stored (after ``flush()``) or received.
    private(set) var offset: Int64
    /// The sniffed container, once known.
    private(set) var container: VideoContainer?

    init(upload: TusUpload, storage: any MediaStorage) {
        self.upload = upload
        self.storage = storage
        self.offset = upload.offset
        self.nextChunk = Int(upload.offset / Int64(upload.chunkSize))
    }

    /// Reads back the partial chunk the previous PATCH left, and sniffs what is already stored.
    func load() async throws {
        let partial = Int(upload.offset % Int64(upload.chunkSize))
        if partial > 0 {
            guard let bytes = try await storage.sourceChunk(fileID: upload.fileID, n: nextChunk), bytes.count >= partial else {
                throw APIError.internalError
            }
            pending.writeBytes(bytes[0..<partial])
        }
        if upload.offset >= Int64(ContainerSniffer.wantedPrefixLength) {
            // The prefix was sniffed before this offset was ever stored; read it back to know the container.
            let first = try await storage.sourceChunk(fileID: upload.fileID, n: 0) ?? []
            container = ContainerSniffer.sniff(first)
        } else {
            try sniffIfPossible(final: false)
        }
    }

    /// Takes the next bytes of the body. Bytes past `Upload-Length` are refused (400) after the
    /// ones that fit were taken.
    func append(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        let room = upload.length - offset
        guard Int64(buffer.readableBytes) <= room else {
            if room > 0, let fitting = buffer.readSlice(length: Int(room)) { try await append(fitting) }
            throw APIError(.badRequest, code: "exceeds_upload_length", message: "The body goes past Upload-Length.")
        }
        offset += Int64(buffer.readableBytes)
        pending.writeBuffer(&buffer)
        try sniffIfPossible(final: offset == upload.length)
        while pending.readableBytes >= upload.chunkSize,
              let chunk = pending.getSlice(at: pending.readerIndex, length: upload.chunkSize) {
            try await storage.putSourceChunk(fileID: upload.fileID, n: nextChunk, data: Array(chunk.readableBytesView))
            // Only a stored chunk leaves the buffer: a failed write keeps the bytes for the next try.
            pending.moveReaderIndex(forwardBy: upload.chunkSize)
            nextChunk += 1
        }
        pending.discardReadBytes()
    }

    /// Stores the partial tail chunk; returns the offset now stored: every byte received, or
    /// (when storing the tail failed) the end of the last whole chunk.
    @discardableResult
    func flush() async -> Int64 {
        guard pending.readableBytes > 0 else { return offset }
        do {
            try await storage.putSourceChunk(fileID: upload.fileID, n: nextChunk, data: Array(pending.readableBytesView))
            return offset
        } catch {
            return Int64(nextChunk) * Int64(upload.chunkSize)
        }
    }

    /// Sniffs a short upload whose last byte arrived (415 if it is not a video).
    func checkContainer() throws {
        try sniffIfPossible(final: offset == upload.length)
    }

    /// Sniffs once the prefix is complete (or the whole upload is, for a short file).
    private func sniffIfPossible(final: Bool) throws {
        guard container == nil, nextChunk == 0 else { return }
        guard pending.readableBytes >= ContainerSniffer.wantedPrefixLength || (final && pending.readableBytes > 0) else { return }
        guard let recognised = ContainerSniffer.sniff(pending.readableBytesView) else { throw SourceIntake.unsupported }
        container = recognised
    }
}

/// SHA-256 over buffers as they stream by, as lowercase hex.
struct StreamingSHA256 {
    private var hasher = SHA256()

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
    }

    func finalize() -> String {
        hasher.finalize().hexEncoded
    }
}
