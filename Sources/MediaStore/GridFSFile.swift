import Foundation

/// A file's document in `<bucket>.files`, as written by any GridFS driver.
public struct GridFSFile: Sendable, Equatable {
    /// The file id (`_id`).
    public var id: ObjectID
    /// The file name (not unique; ClipCut uses deterministic names like `<videoId>/720p/…`).
    public var filename: String
    /// Length in bytes.
    public var length: Int
    /// Size of every chunk but the last.
    public var chunkSize: Int
    /// When the upload completed.
    public var uploadDate: Date
    /// Free-form metadata given at upload.
    public var metadata: BSONDocument?

    /// Number of chunks the file is stored in.
    public var chunkCount: Int {
        length == 0 ? 0 : (length + chunkSize - 1) / chunkSize
    }

    /// Reads a files document.
    /// - Throws: ``MediaStoreError/invalidReply(_:)`` when a required field is missing.
    public init(document: BSONDocument) throws {
        guard let id = document["_id"]?.objectID else { throw MediaStoreError.invalidReply("files document without ObjectId _id") }
        guard let length = document["length"]?.int, length >= 0 else { throw MediaStoreError.invalidReply("files document without length") }
        guard let chunkSize = document["chunkSize"]?.int, chunkSize > 0 else { throw MediaStoreError.invalidReply("files document without chunkSize") }
        self.id = id
        self.filename = document["filename"]?.string ?? ""
        self.length = length
        self.chunkSize = chunkSize
        self.uploadDate = document["uploadDate"]?.date ?? Date(timeIntervalSince1970: 0)
        self.metadata = document["metadata"]?.document
    }
}
