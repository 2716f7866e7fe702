import ClipCutCore
import Foundation
import MediaStore
import NIOCore

extension GridFSUploadWriter: ByteSink {}

/// ``MediaStorage`` over MongoDB GridFS (MediaStore): sources in bucket `uploads`, derived
/// media in bucket `media`, both read in bounded chunk windows.
struct GridFSMediaStorage: MediaStorage {
    let store: MediaStore

    private var sources: GridFSBucket { store.bucket(MediaLayout.sourceBucket) }
    private var media: GridFSBucket { store.bucket(MediaLayout.mediaBucket) }

    /// Creates the indexes both buckets need.
    func ensureIndexes() async throws {
        try await sources.ensureIndexes()
        try await media.ensureIndexes()
        try await store.collection("\(MediaLayout.mediaBucket).files").createIndex(["metadata.videoId": 1], name: "metadata_videoId_1")
    }

    func storeSource<T: Sendable>(
        filename: String, videoId: VideoID, owner: UserID, _ produce: (any ByteSink) async throws -> T
    ) async throws -> (value: T, file: StoredFile) {
        let metadata: BSONDocument = ["videoId": .string(videoId.description), "owner": .string(owner.description)]
        let (value, file) = try await sources.withUploadStream(filename: filename, metadata: metadata) { writer in
            try await produce(writer)
        }
        return (value, StoredFile(file, bucket: .sources))
    }

    func newSourceID() -> String { ObjectID.generate().description }

    func putSourceChunk(fileID: String, n: Int, data: [UInt8]) async throws {
        try await sources.putChunk(fileID: try objectID(fileID), n: n, data: data)
    }

    func sourceChunk(fileID: String, n: Int) async throws -> [UInt8]? {
        try await sources.chunk(fileID: try objectID(fileID), n: n)
    }

    func deleteSourceChunks(fileID: String, from n: Int) async throws {
        try await sources.deleteChunks(fileID: try objectID(fileID), from: n)
    }

    func completeSource(
        fileID: String, length: Int, chunkSize: Int, filename: String, videoId: VideoID, owner: UserID
    ) async throws -> StoredFile {
        let metadata: BSONDocument = ["videoId": .string(videoId.description), "owner": .string(owner.description)]
        let file = try await sources.completeFile(
            id: try objectID(fileID), length: length, chunkSize: chunkSize, filename: filename, metadata: metadata)
        return StoredFile(file, bucket: .sources)
    }

    func source(id: String) async throws -> StoredFile? {
        guard let objectID = ObjectID(id) else { return nil }
        return try await sources.file(id: objectID).map { StoredFile($0, bucket: .sources) }
    }

    func deleteSource(id: String) async throws {
        try await sources.delete(id: try objectID(id))
    }

    func mediaFile(named name: String) async throws -> StoredFile? {
        try await media.find(["filename": .string(name)], sort: ["uploadDate": -1], limit: 1).first.map { StoredFile($0, bucket: .media) }
    }

    func mediaFiles(of videoId: VideoID) async throws -> [StoredFile] {
        try await media.find(["metadata.videoId": .string(videoId.description)]).map { StoredFile($0, bucket: .media) }
    }

    func storeMedia<T: Sendable>(
        named name: String, videoId: VideoID, metadata: [String: String], _ produce: (any ByteSink) async throws -> T
    ) async throws -> (value: T, file: StoredFile) {
        var document: BSONDocument = ["videoId": .string(videoId.description)]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key != "videoId" && key != StoredFile.digestKey {
            document[key] = Int(value).map { .int64(Int64($0)) } ?? .string(value)
        }
        // The SHA-256 of the bytes goes with them: the media cache checks its copies against it.
        let (hashed, file) = try await media.withUploadStream(filename: name, describedBy: { (hashed: HashedValue<T>) -> BSONDocument? in
            var described = document
            described[StoredFile.digestKey] = .string(hashed.digest)
            return described
        }) { writer in
            let sink = HashingSink(writer)
            let value = try await produce(sink)
            return HashedValue(value: value, digest: sink.finalize())
        }
        let value = hashed.value
        // One file per name, whoever else stored it meanwhile (a retry, a second worker on the
        // same video): the newest stays, every other goes. Each writer does the same, so
        // concurrent writers converge on the same single file.
        let all = try await media.find(["filename": .string(name)], sort: ["uploadDate": -1, "_id": -1])
        for stale in all.dropFirst() { try await media.delete(id: stale.id) }
        return (value, StoredFile(file, bucket: .media))
    }

    func videosWithMedia(storedBefore cutoff: Date) async throws -> [VideoID] {
        var ids: Set<VideoID> = []
        for bucket in [media, sources] {
            let values = try await bucket.distinct("metadata.videoId", filter: ["uploadDate": ["$lt": .date(cutoff)]])
            ids.formUnion(values.compactMap { $0.string.flatMap(VideoID.init) })
        }
        return ids.sorted { $0.description < $1.description }
    }

    func deleteSources(of videoId: VideoID) async throws -> Int {
        let files = try await sources.find(["metadata.videoId": .string(videoId.description)])
        for file in files { try await sources.delete(id: file.id) }
        return files.count
    }

    func deleteMediaFile(named name: String) async throws -> Bool {
        let files = try await media.find(["filename": .string(name)])
        for file in files { try await media.delete(id: file.id) }
        return !files.isEmpty
    }

    func deleteMedia(of videoId: VideoID) async throws -> Int {
        let files = try await media.find(["metadata.videoId": .string(videoId.description)])
        for file in files {
            try await media.delete(id: file.id)
        }
        return files.count
    }

    func read(_ file: StoredFile, range: Range<Int>, _ consume: (ByteBuffer) async throws -> Void) async throws {
        let bucket = file.bucket == .sources ? sources : media
        let stored = try GridFSFile(document: [
            "_id": .objectID(try objectID(file.id)), "length": .int64(Int64(file.length)),
            "chunkSize": .int64(Int64(file.chunkSize)), "filename": .string(file.name),
        ])
        for try await buffer in try bucket.stream(stored, range: range) {
            try await consume(buffer)
        }
    }

    private func objectID(_ text: String) throws -> ObjectID {
        guard let id = ObjectID(text) else { throw MediaStoreError.fileNotFound(text) }
        return id
    }
}

/// What ``GridFSMediaStorage/storeMedia(named:videoId:metadata:_:)``'s producer returned, with the
/// SHA-256 of what it wrote.
private struct HashedValue<T: Sendable>: Sendable {
    var value: T
    var digest: String
}

/// Passes buffers on to a GridFS upload while hashing them. It belongs to the one task writing.
private final class HashingSink: ByteSink {
    private let writer: GridFSUploadWriter
    private var hasher = StreamingSHA256()

    init(_ writer: GridFSUploadWriter) { self.writer = writer }

    func write(_ buffer: ByteBuffer) async throws {
        hasher.update(buffer)
        try await writer.write(buffer)
    }

    func finalize() -> String { hasher.finalize() }
}

extension StoredFile {
    /// Describes a GridFS file; metadata strings and numbers become text.
    init(_ file: GridFSFile, bucket: MediaBucketName) {
        var metadata: [String: String] = [:]
        for (key, value) in file.metadata?.elements ?? [] {
            if let text = value.string {
                metadata[key] = text
            } else if let number = value.int {
                metadata[key] = String(number)
            } else if let number = value.double {
                metadata[key] = String(number)
            }
        }
        self.init(bucket: bucket, id: file.id.description, name: file.filename, length: file.length,
                  chunkSize: file.chunkSize, uploadDate: file.uploadDate, metadata: metadata)
    }
}
