import ClipCutCore
import Foundation
import NIOCore

/// The GridFS bucket a file lives in (see ``MediaLayout``).
enum MediaBucketName: String, Sendable {
    /// Uploaded sources.
    case sources = "uploads"
    /// Renditions, playlists, segments, captions, images.
    case media = "media"
}

/// A stored file as upload-service serves it.
struct StoredFile: Sendable, Equatable {
    /// Its bucket.
    var bucket: MediaBucketName
    /// The GridFS file id (24 hex digits).
    var id: String
    /// The GridFS file name.
    var name: String
    /// Length in bytes.
    var length: Int
    /// Bytes per stored chunk.
    var chunkSize: Int
    /// When it was stored.
    var uploadDate: Date
    /// String and number metadata, as text (`videoId`, `quality`, `width`, …).
    var metadata: [String: String]

    /// The metadata key of a media file's SHA-256 (lowercase hex), written when it is stored.
    static let digestKey = "sha256"

    /// The SHA-256 the file was stored with, if it has one (media stored since [16]).
    var digest: String? { metadata[Self.digestKey] }

    /// A strong validator: files are never changed in place, and ids are unique.
    var entityTag: String { "\"\(id)-\(length)\"" }
}

/// Something bytes can be pushed into, one buffer after another.
protocol ByteSink {
    /// Appends `buffer`.
    func write(_ buffer: ByteBuffer) async throws
}

/// upload-service's view of GridFS: streaming source uploads, chunk-level writes for tus,
/// bounded-window reads, and deletes. `GridFSMediaStorage` is the real one; tests use an
/// in-memory one.
protocol MediaStorage: Sendable {
    /// Streams a new source into the sources bucket under a new id. `produce` pushes the bytes
    /// into the sink; when it throws (or the task is cancelled) nothing is left behind.
    func storeSource<T: Sendable>(
        filename: String, videoId: VideoID, owner: UserID, _ produce: (any ByteSink) async throws -> T
    ) async throws -> (value: T, file: StoredFile)

    /// A fresh id for a source that will be written chunk by chunk (tus).
    func newSourceID() -> String
    /// Stores chunk `n` of the source `fileID`, replacing one stored under that number.
    func putSourceChunk(fileID: String, n: Int, data: [UInt8]) async throws
    /// Chunk `n` of the source `fileID`, if stored.
    func sourceChunk(fileID: String, n: Int) async throws -> [UInt8]?
    /// Deletes chunks `n` and above of the source `fileID` (0: all of them).
    func deleteSourceChunks(fileID: String, from n: Int) async throws
    /// Completes a source whose chunks are all stored.
    func completeSource(
        fileID: String, length: Int, chunkSize: Int, filename: String, videoId: VideoID, owner: UserID
    ) async throws -> StoredFile

    /// The source file with this id.
    func source(id: String) async throws -> StoredFile?
    /// Deletes a source file and its chunks.
    func deleteSource(id: String) async throws

    /// The newest media file with this name (see ``MediaLayout``).
    func mediaFile(named name: String) async throws -> StoredFile?
    /// Every media file of a video.
    func mediaFiles(of videoId: VideoID) async throws -> [StoredFile]
    /// Streams a derived file (from processing-service) into the media bucket under `name`,
    /// replacing an earlier file of that name once the new one is complete.
    func storeMedia<T: Sendable>(
        named name: String, videoId: VideoID, metadata: [String: String], _ produce: (any ByteSink) async throws -> T
    ) async throws -> (value: T, file: StoredFile)

    /// Deletes the media files named `name`; returns whether there was one.
    @discardableResult
    func deleteMediaFile(named name: String) async throws -> Bool
    /// Deletes every media file of a video; returns how many there were.
    @discardableResult
    func deleteMedia(of videoId: VideoID) async throws -> Int

    /// Videos that have a source or media file stored before `cutoff` (for the orphan sweep).
    func videosWithMedia(storedBefore cutoff: Date) async throws -> [VideoID]
    /// Deletes every source file of a video; returns how many there were.
    @discardableResult
    func deleteSources(of videoId: VideoID) async throws -> Int

    /// Reads bytes `range` of `file`, handing them to `consume` one bounded window at a time.
    func read(_ file: StoredFile, range: Range<Int>, _ consume: (ByteBuffer) async throws -> Void) async throws
}

extension MediaStorage {
    /// Reads a whole (small) file into memory: playlists, caption tracks.
    func readAll(_ file: StoredFile) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(file.length)
        try await read(file, range: 0..<file.length) { bytes.append(contentsOf: $0.readableBytesView) }
        return bytes
    }
}
