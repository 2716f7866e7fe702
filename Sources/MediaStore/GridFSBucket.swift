import CMongoc
import Foundation
import NIOCore

/// A GridFS bucket in the standard layout (`<name>.files`, `<name>.chunks`), so files it
/// writes are readable by any MongoDB driver and vice versa.
///
/// Uploads stream chunk by chunk with flat memory. Reads never fetch a whole file: they
/// query `<name>.chunks` by `files_id` and a range of `n`, a bounded window at a time, so
/// reading bytes `a..<b` costs O(b − a) whatever the file's size.
public struct GridFSBucket: Sendable {
    let store: MediaStore
    /// The bucket name (`fs` by default).
    public let name: String

    /// The standard GridFS chunk size, 255 KiB.
    public static let defaultChunkSize = 255 * 1024

    var files: MongoCollection { store.collection("\(name).files") }
    var chunks: MongoCollection { store.collection("\(name).chunks") }

    /// Creates the indexes drivers expect (`files_id`+`n` unique; `filename`+`uploadDate`).
    public func ensureIndexes() async throws {
        try await chunks.createIndex(["files_id": 1, "n": 1], name: "files_id_1_n_1", unique: true)
        try await files.createIndex(["filename": 1, "uploadDate": 1], name: "filename_1_uploadDate_1")
    }

    // MARK: Upload

    /// Streams `source` into a new file. Memory stays flat: buffers are coalesced to about
    /// one chunk and written as they arrive. If `source` throws or the task is cancelled,
    /// every chunk already written is deleted and no files document is left.
    /// - Returns: the stored file's document.
    public func upload<Source: AsyncSequence>(
        filename: String, metadata: BSONDocument? = nil, id: ObjectID? = nil,
        chunkSize: Int = GridFSBucket.defaultChunkSize, from source: Source
    ) async throws -> GridFSFile where Source.Element == ByteBuffer {
        try await withUploadStream(filename: filename, metadata: metadata, id: id, chunkSize: chunkSize) { writer in
            for try await buffer in source {
                try await writer.write(buffer)
            }
        }.file
    }

    /// Opens an upload stream and lets `body` push bytes into it with
    /// ``GridFSUploadWriter/write(_:)`` (for producers that are callbacks, such as a multipart
    /// reader). When `body` returns, the file is completed; when it throws or the task is
    /// cancelled, every chunk written is deleted and no files document is left. No connection
    /// is held while `body` waits for bytes: each chunk is stored with a client of its own.
    /// - Returns: what `body` returned and the stored file's document.
    public func withUploadStream<T: Sendable>(
        filename: String, metadata: BSONDocument? = nil, id: ObjectID? = nil,
        chunkSize: Int = GridFSBucket.defaultChunkSize, _ body: (GridFSUploadWriter) async throws -> T
    ) async throws -> (value: T, file: GridFSFile) {
        let fileID = id ?? ObjectID.generate()
        if id != nil {
            let existingFile = try await file(id: fileID)
            let existingChunks = try await chunkCount(id: fileID)
            guard existingFile == nil, existingChunks == 0 else {
                // An abort would delete the existing file's chunks: refuse before writing anything.
                throw MediaStoreError.duplicateKey("a GridFS file with id \(fileID) exists")
            }
        }
        let writer = GridFSUploadWriter(bucket: self, fileID: fileID, chunkSize: chunkSize)
        do {
            let value = try await body(writer)
            let file = try await writer.finish(filename: filename, metadata: metadata)
            return (value, file)
        } catch {
            await writer.abort()
            throw error
        }
    }

    /// Like ``withUploadStream(filename:metadata:id:chunkSize:_:)``, for metadata known only
    /// once the bytes are written (a digest of them): `describe` turns what `body` returned into
    /// the files document's metadata.
    public func withUploadStream<T: Sendable>(
        filename: String, chunkSize: Int = GridFSBucket.defaultChunkSize,
        describedBy describe: (T) -> BSONDocument?, _ body: (GridFSUploadWriter) async throws -> T
    ) async throws -> (value: T, file: GridFSFile) {
        let writer = GridFSUploadWriter(bucket: self, fileID: ObjectID.generate(), chunkSize: chunkSize)
        do {
            let value = try await body(writer)
            let file = try await writer.finish(filename: filename, metadata: describe(value))
            return (value, file)
        } catch {
            await writer.abort()
            throw error
        }
    }

    /// Uploads bytes held in memory (small files: captions, posters, playlists).
    public func upload(filename: String, bytes: [UInt8], metadata: BSONDocument? = nil, id: ObjectID? = nil) async throws -> GridFSFile {
        let single = [ByteBuffer(bytes: bytes)].async
        return try await upload(filename: filename, metadata: metadata, id: id, from: single)
    }

    // MARK: Lookup and delete

    /// The file with this id, if it exists.
    public func file(id: ObjectID) async throws -> GridFSFile? {
        try await files.findOne(["_id": .objectID(id)]).map(GridFSFile.init(document:))
    }

    /// Files whose documents match `filter`, e.g. `["metadata.videoId": "…"]` or `["filename": "…"]`.
    public func find(_ filter: BSONDocument = [:], sort: BSONDocument? = nil, limit: Int? = nil) async throws -> [GridFSFile] {
        try await files.find(filter, sort: sort, limit: limit).map(GridFSFile.init(document:))
    }

    /// The distinct values of `key` (e.g. `metadata.videoId`) among files matching `filter`.
    public func distinct(_ key: String, filter: BSONDocument = [:]) async throws -> [BSONValue] {
        try await files.distinct(key, filter: filter)
    }

    /// Deletes a file's document and all its chunks (also chunks left by a crashed upload).
    /// - Returns: whether a files document existed.
    @discardableResult
    public func delete(id: ObjectID) async throws -> Bool {
        let removed = try await files.delete(["_id": .objectID(id)])
        try await chunks.delete(["files_id": .objectID(id)])
        return removed > 0
    }

    /// Number of chunks stored for a file id (orphans included); for tests and audits.
    public func chunkCount(id: ObjectID) async throws -> Int {
        try await chunks.count(["files_id": .objectID(id)])
    }

    // MARK: Reading in bounded windows

    /// Reads bytes `range` of a file into memory. Use ``stream(_:range:)`` for large ranges.
    public func read(id: ObjectID, range: Range<Int>? = nil) async throws -> [UInt8] {
        guard let file = try await file(id: id) else { throw MediaStoreError.fileNotFound(id.description) }
        var out: [UInt8] = []
        for try await buffer in try stream(file, range: range) {
            out.append(contentsOf: buffer.readableBytesView)
        }
        return out
    }

    /// Streams bytes `range` (default: all) of a file, fetching one bounded window of chunks
    /// per element, only when the consumer asks for it.
    /// - Throws: ``MediaStoreError/invalidRange(_:)`` when the range is outside the file.
    public func stream(_ file: GridFSFile, range: Range<Int>? = nil) throws -> GridFSByteStream {
        let range = range ?? 0..<file.length
        guard range.lowerBound >= 0, range.upperBound <= file.length else {
            throw MediaStoreError.invalidRange("\(range) outside 0..<\(file.length)")
        }
        return GridFSByteStream(bucket: self, file: file, range: range)
    }

    /// Fetches chunks `first...last` in one query and checks they are complete and in order.
    func readChunks(of file: GridFSFile, from first: Int, through last: Int) async throws -> [UInt8] {
        let filter: BSONDocument = [
            "files_id": .objectID(file.id),
            "n": ["$gte": .int64(Int64(first)), "$lte": .int64(Int64(last))],
        ]
        let documents = try await chunks.find(filter, sort: ["n": 1], projection: ["n": 1, "data": 1])
        var out: [UInt8] = []
        out.reserveCapacity((last - first + 1) * file.chunkSize)
        for (offset, document) in documents.enumerated() {
            let expected = first + offset
            guard document["n"]?.int == expected, let data = document["data"]?.binary else {
                throw MediaStoreError.corruptFile("\(file.id): chunk \(expected) missing or malformed")
            }
            let expectedSize = expected == file.chunkCount - 1 ? file.length - expected * file.chunkSize : file.chunkSize
            guard data.count == expectedSize else {
                throw MediaStoreError.corruptFile("\(file.id): chunk \(expected) has \(data.count) bytes, expected \(expectedSize)")
            }
            out.append(contentsOf: data)
        }
        guard documents.count == last - first + 1 else {
            throw MediaStoreError.corruptFile("\(file.id): chunks \(first)...\(last) incomplete")
        }
        return out
    }
}

extension ObjectID {
    /// A new ObjectId from libbson's generator (timestamp, process-unique, counter).
    public static func generate() -> ObjectID {
        var bytes = [UInt8](repeating: 0, count: 12)
        bytes.withUnsafeMutableBufferPointer { cmongoc_new_object_id($0.baseAddress) }
        return ObjectID(exactly: bytes)
    }
}

extension Array where Element: Sendable {
    /// An `AsyncSequence` over the array's elements.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}

/// Bytes of one GridFS file range, a bounded window of chunks per element.
public struct GridFSByteStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let bucket: GridFSBucket
    let file: GridFSFile
    let range: Range<Int>

    public func makeAsyncIterator() -> Iterator {
        Iterator(bucket: bucket, file: file, end: range.upperBound, position: range.lowerBound)
    }

    /// Fetches the next window when asked.
    public struct Iterator: AsyncIteratorProtocol {
        let bucket: GridFSBucket
        let file: GridFSFile
        let end: Int
        var position: Int

        public mutating func next() async throws -> ByteBuffer? {
            guard position < end else { return nil }
            let chunkSize = file.chunkSize
            let windowChunks = Swift.max(1, bucket.store.configuration.readWindowBytes / chunkSize)
            let firstChunk = position / chunkSize
            let lastChunk = Swift.min((end - 1) / chunkSize, firstChunk + windowChunks - 1)
            let window = try await bucket.readChunks(of: file, from: firstChunk, through: lastChunk)
            let windowStart = firstChunk * chunkSize
            let sliceStart = position - windowStart
            let sliceEnd = Swift.min(end - windowStart, window.count)
            guard sliceStart < sliceEnd else { throw MediaStoreError.corruptFile("window at \(position) is empty") }
            position = windowStart + sliceEnd
            return ByteBuffer(bytes: window[sliceStart..<sliceEnd])
        }
    }
}
