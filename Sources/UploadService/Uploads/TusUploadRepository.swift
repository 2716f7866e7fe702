import ClipCutCore
import Foundation
import MediaStore

/// An unfinished (or just finished) tus upload.
struct TusUpload: Sendable, Equatable {
    /// The upload's id in its URL (32 hex digits).
    var id: String
    /// Who created it.
    var owner: UserID
    /// The video it becomes.
    var videoId: VideoID
    /// The GridFS id its chunks are stored under.
    var fileID: String
    /// `Upload-Length`.
    var length: Int64
    /// Bytes stored so far (`Upload-Offset`).
    var offset: Int64
    /// GridFS chunk size.
    var chunkSize: Int
    /// From `Upload-Metadata`.
    var filename: String
    var title: String?
    var description: String?
    /// Render the captions into the picture.
    var burnSubtitles: Bool = false
    /// The raw `Upload-Metadata` header, returned on HEAD.
    var rawMetadata: String?
    /// When it was created.
    var createdAt: Date
    /// When it expires unless more bytes arrive.
    var expiresAt: Date
    /// Set once the upload is complete and registered.
    var completedVideo: VideoID?
}

/// What ``TusUploadRepository/beginCompletion(id:now:staleAfter:)`` found.
enum TusCompletionClaim: Sendable, Equatable {
    /// This request finishes the upload (`receiving → completing`).
    case claimed
    /// Already finished: the video it became.
    case complete(VideoID)
    /// Another request (on this replica or another) is finishing it.
    case inProgress
}

/// Where tus uploads are tracked. Finishing an upload is a compare-and-set state,
/// `receiving → completing → complete`, so that two replicas or a repeated final PATCH never
/// register it twice or throw away the source of a registered video.
protocol TusUploadRepository: Sendable {
    func insert(_ upload: TusUpload) async throws
    func upload(id: String) async throws -> TusUpload?
    /// Moves the offset from `from` to `to` (and the expiry); `false` if the stored offset was no longer `from`.
    func advance(id: String, from: Int64, to: Int64, expiresAt: Date) async throws -> Bool
    /// Takes the upload from `receiving` to `completing`, atomically; a claim older than
    /// `staleAfter` (its replica died) may be taken again.
    func beginCompletion(id: String, now: Date, staleAfter: Duration) async throws -> TusCompletionClaim
    /// Gives a claim back (`completing → receiving`): finishing failed for a reason that may pass.
    func abandonCompletion(id: String) async throws
    /// Marks the upload complete.
    func complete(id: String, videoId: VideoID) async throws
    func delete(id: String) async throws
    /// Declared bytes of the owner's unfinished uploads, except `excluding`.
    func reservedBytes(owner: UserID, excluding: String?) async throws -> Int64
    /// `owner`'s uploads that are neither complete nor expired at `now`, newest first.
    func unfinished(owner: UserID, now: Date) async throws -> [TusUpload]
    /// Uploads whose expiry passed.
    func expired(before: Date, limit: Int) async throws -> [TusUpload]
}

/// ``TusUploadRepository`` in the MongoDB collection `tus_uploads`.
struct MongoTusUploadRepository: TusUploadRepository {
    let collection: MongoCollection

    init(store: MediaStore) {
        collection = store.collection("tus_uploads")
    }

    func ensureIndexes() async throws {
        try await collection.createIndex(["owner": 1], name: "owner")
        try await collection.createIndex(["expiresAt": 1], name: "expires")
    }

    func insert(_ upload: TusUpload) async throws {
        var document: BSONDocument = [
            "_id": .string(upload.id), "owner": .string(upload.owner.description), "videoId": .string(upload.videoId.description),
            "fileId": .string(upload.fileID), "length": .int64(upload.length), "offset": .int64(upload.offset),
            "chunkSize": .int64(Int64(upload.chunkSize)), "filename": .string(upload.filename),
            "createdAt": .date(upload.createdAt), "expiresAt": .date(upload.expiresAt), "completed": false,
            "completingSince": .date(Self.receiving),
        ]
        if let title = upload.title { document["title"] = .string(title) }
        if let description = upload.description { document["description"] = .string(description) }
        if let raw = upload.rawMetadata { document["rawMetadata"] = .string(raw) }
        if upload.burnSubtitles { document["burnSubtitles"] = true }
        try await collection.insert(document)
    }

    func upload(id: String) async throws -> TusUpload? {
        try await collection.findOne(["_id": .string(id)]).flatMap(Self.upload(from:))
    }

    func advance(id: String, from: Int64, to: Int64, expiresAt: Date) async throws -> Bool {
        let result = try await collection.updateOne(
            ["_id": .string(id), "offset": .int64(from)], set: ["offset": .int64(to), "expiresAt": .date(expiresAt)])
        return result.matched > 0
    }

    func beginCompletion(id: String, now: Date, staleAfter: Duration) async throws -> TusCompletionClaim {
        let cutoff = now.addingTimeInterval(-Double(staleAfter.components.seconds))
        let claim: BSONDocument = ["completingSince": .date(now)]
        // Documents written before the field existed have none: they are receiving.
        for filter: BSONDocument in [
            ["_id": .string(id), "completed": false, "completingSince": ["$lt": .date(cutoff)]],
            ["_id": .string(id), "completed": false, "completingSince": ["$exists": false]],
        ] {
            if try await collection.updateOne(filter, set: claim).matched > 0 { return .claimed }
        }
        if let videoId = try await upload(id: id)?.completedVideo { return .complete(videoId) }
        return .inProgress
    }

    func abandonCompletion(id: String) async throws {
        try await collection.updateOne(["_id": .string(id), "completed": false], set: ["completingSince": .date(Self.receiving)])
    }

    func complete(id: String, videoId: VideoID) async throws {
        try await collection.updateOne(["_id": .string(id)], set: ["completed": true, "completedVideo": .string(videoId.description)])
    }

    /// `completingSince` of an upload nobody is finishing.
    static let receiving = Date(timeIntervalSince1970: 0)

    func delete(id: String) async throws {
        try await collection.delete(["_id": .string(id)], many: false)
    }

    func reservedBytes(owner: UserID, excluding: String?) async throws -> Int64 {
        try await collection.find(["owner": .string(owner.description), "completed": false], projection: ["length": 1])
            .filter { $0["_id"]?.string != excluding }
            .reduce(0) { $0 + Int64($1["length"]?.int ?? 0) }
    }

    func unfinished(owner: UserID, now: Date) async throws -> [TusUpload] {
        try await collection.find(
            ["owner": .string(owner.description), "completed": false, "expiresAt": ["$gte": .date(now)]],
            sort: ["createdAt": -1], limit: 100
        ).compactMap(Self.upload(from:))
    }

    func expired(before: Date, limit: Int) async throws -> [TusUpload] {
        try await collection.find(["expiresAt": ["$lt": .date(before)]], sort: ["expiresAt": 1], limit: limit).compactMap(Self.upload(from:))
    }

    static func upload(from document: BSONDocument) -> TusUpload? {
        guard let id = document["_id"]?.string, let owner = document["owner"]?.string.flatMap(UserID.init),
              let videoId = document["videoId"]?.string.flatMap(VideoID.init), let fileID = document["fileId"]?.string,
              let length = document["length"]?.int, let offset = document["offset"]?.int, let chunkSize = document["chunkSize"]?.int,
              let createdAt = document["createdAt"]?.date, let expiresAt = document["expiresAt"]?.date
        else { return nil }
        return TusUpload(
            id: id, owner: owner, videoId: videoId, fileID: fileID, length: Int64(length), offset: Int64(offset),
            chunkSize: chunkSize, filename: document["filename"]?.string ?? "upload", title: document["title"]?.string,
            description: document["description"]?.string, burnSubtitles: document["burnSubtitles"]?.bool ?? false,
            rawMetadata: document["rawMetadata"]?.string,
            createdAt: createdAt, expiresAt: expiresAt,
            completedVideo: document["completedVideo"]?.string.flatMap(VideoID.init))
    }
}
