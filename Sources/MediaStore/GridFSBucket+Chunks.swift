import Foundation

/// Chunk-level writes, for uploads that arrive in several requests (tus): the chunks of a file
/// are stored one by one under a file id chosen up front, and the files document is written
/// last, which is what makes the file visible to GridFS readers. Until then the chunks are
/// invisible and ``GridFSBucket/delete(id:)`` removes them.
extension GridFSBucket {
    /// Stores chunk `n` of file `fileID`, replacing a chunk already stored under that number
    /// (a resumed upload rewrites its partial last chunk).
    public func putChunk(fileID: ObjectID, n: Int, data: [UInt8]) async throws {
        try await chunks.update(
            ["files_id": .objectID(fileID), "n": .int32(Int32(clamping: n))],
            ["$set": ["data": .binary(data, subtype: 0)]],
            upsert: true
        )
    }

    /// The bytes of chunk `n` of file `fileID`, if stored.
    public func chunk(fileID: ObjectID, n: Int) async throws -> [UInt8]? {
        let filter: BSONDocument = ["files_id": .objectID(fileID), "n": .int32(Int32(clamping: n))]
        return try await chunks.findOne(filter)?["data"]?.binary
    }

    /// Deletes chunks numbered `n` and above of file `fileID` (what a crashed request wrote past
    /// the last acknowledged offset).
    public func deleteChunks(fileID: ObjectID, from n: Int) async throws {
        try await chunks.delete(["files_id": .objectID(fileID), "n": ["$gte": .int32(Int32(clamping: n))]])
    }

    /// Writes the files document of a file whose chunks are all stored, completing it.
    /// - Throws: ``MediaStoreError/duplicateKey(_:)`` if the file is already complete.
    @discardableResult
    public func completeFile(
        id: ObjectID, length: Int, chunkSize: Int, filename: String, metadata: BSONDocument? = nil
    ) async throws -> GridFSFile {
        var document: BSONDocument = [
            "_id": .objectID(id), "length": .int64(Int64(length)), "chunkSize": .int32(Int32(clamping: chunkSize)),
            "uploadDate": .date(Date()), "filename": .string(filename),
        ]
        if let metadata { document["metadata"] = .document(metadata) }
        try await files.insert(document)
        return try GridFSFile(document: document)
    }
}
