import Foundation
import NIOCore

/// Files on disk in and out of GridFS, with the file I/O on the store's threads (never the
/// cooperative pool): sources to a scratch file for ffprobe and ffmpeg, their outputs back.
extension GridFSBucket {
    /// Stores the file at `path` under `filename`, 1 MiB read and written per step.
    /// Nothing is left behind if reading or writing fails.
    public func upload(filename: String, contentsOf path: String, metadata: BSONDocument? = nil) async throws -> GridFSFile {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw MediaStoreError.fileNotFound(path) }
        let reader = FileReader(handle: handle)
        defer { try? handle.close() }
        return try await withUploadStream(filename: filename, metadata: metadata) { writer in
            while let buffer = try await store.runBlocking({ try reader.next() }) {
                try await writer.write(buffer)
            }
        }.file
    }

    /// Writes `file` to `path` (created or truncated), one bounded window at a time.
    public func download(_ file: GridFSFile, to path: String) async throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw MediaStoreError.fileNotFound(path)
        }
        let writer = FileWriter(handle: handle)
        defer { try? handle.close() }
        for try await buffer in try stream(file) {
            try await store.runBlocking { try writer.write(buffer) }
        }
    }
}

/// A file read 1 MiB at a time. `@unchecked Sendable`: used by one task, one call after another.
final class FileReader: @unchecked Sendable {
    let handle: FileHandle
    init(handle: FileHandle) { self.handle = handle }

    func next() throws -> ByteBuffer? {
        guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
        return ByteBuffer(bytes: data)
    }
}

/// A file written buffer by buffer. `@unchecked Sendable`: used by one task, one call after another.
final class FileWriter: @unchecked Sendable {
    let handle: FileHandle
    init(handle: FileHandle) { self.handle = handle }

    func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: Data($0)) }
    }
}

extension MediaStore {
    /// Runs blocking work that needs no client (file I/O) on the store's threads.
    func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }
}
