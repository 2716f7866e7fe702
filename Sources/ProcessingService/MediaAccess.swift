import ClipCutCore
import Foundation
import MediaStore

/// What processing-service needs of a `videos` document (upload-service owns and writes it).
struct VideoSnapshot: Sendable, Equatable {
    var id: VideoID
    var owner: UserID
    var status: VideoStatus
    var sourceFileID: String
    var burnSubtitles: Bool
}

/// GridFS and the `videos` collection as processing-service uses them: it reads documents and
/// sources, and writes only derived media (bucket `media`, names from ``MediaLayout``).
protocol MediaAccess: Sendable {
    func video(_ id: VideoID) async throws -> VideoSnapshot?
    /// Streams the source to a file on disk.
    func downloadSource(_ video: VideoSnapshot, to path: String) async throws
    /// Stores a derived file under `name`, replacing any earlier file of that name.
    func store(_ path: String, as name: String, videoId: VideoID, metadata: [String: String]) async throws -> Int
    /// Stores small bytes (playlists, captions) the same way.
    func store(bytes: [UInt8], as name: String, videoId: VideoID) async throws
    /// Reads a stored derived file back to disk (caption retries re-mux the MP4s).
    func downloadMedia(named name: String, to path: String) async throws -> Bool
    /// Deletes every derived file of the video (a retry starts clean).
    func deleteMedia(of videoId: VideoID) async throws
}

/// ``MediaAccess`` over MediaStore.
struct GridFSMediaAccess: MediaAccess {
    let store: MediaStore
    private var sources: GridFSBucket { store.bucket(MediaLayout.sourceBucket) }
    private var media: GridFSBucket { store.bucket(MediaLayout.mediaBucket) }

    func video(_ id: VideoID) async throws -> VideoSnapshot? {
        guard let document = try await store.collection("videos").findOne(["_id": .string(id.description)]),
              let owner = document["owner"]?.string.flatMap(UserID.init),
              let status = document["status"]?.string.flatMap(VideoStatus.init(rawValue:))
        else { return nil }
        return VideoSnapshot(
            id: id, owner: owner, status: status, sourceFileID: document["sourceFileId"]?.string ?? "",
            burnSubtitles: document["burnSubtitles"]?.bool ?? false)
    }

    func downloadSource(_ video: VideoSnapshot, to path: String) async throws {
        guard let id = ObjectID(video.sourceFileID), let file = try await sources.file(id: id) else {
            throw MediaStoreError.fileNotFound(video.sourceFileID)
        }
        try await sources.download(file, to: path)
    }

    func store(_ path: String, as name: String, videoId: VideoID, metadata: [String: String]) async throws -> Int {
        let old = try await media.find(["filename": .string(name)])
        var document: BSONDocument = ["videoId": .string(videoId.description)]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            document[key] = Int(value).map { .int64(Int64($0)) } ?? .string(value)
        }
        let file = try await media.upload(filename: name, contentsOf: path, metadata: document)
        for stale in old { try await media.delete(id: stale.id) }
        return file.length
    }

    func store(bytes: [UInt8], as name: String, videoId: VideoID) async throws {
        let old = try await media.find(["filename": .string(name)])
        _ = try await media.upload(filename: name, bytes: bytes, metadata: ["videoId": .string(videoId.description)])
        for stale in old { try await media.delete(id: stale.id) }
    }

    func downloadMedia(named name: String, to path: String) async throws -> Bool {
        guard let file = try await media.find(["filename": .string(name)], sort: ["uploadDate": -1], limit: 1).first else { return false }
        try await media.download(file, to: path)
        return true
    }

    func deleteMedia(of videoId: VideoID) async throws {
        for file in try await media.find(["metadata.videoId": .string(videoId.description)]) {
            try await media.delete(id: file.id)
        }
    }
}
