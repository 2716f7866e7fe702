import ClipCutCore
import Foundation
import MediaStore

/// ``VideoRepository`` over the MongoDB collection `videos` (`_id` is the video id).
struct MongoVideoRepository: VideoRepository {
    let collection: MongoCollection

    init(store: MediaStore) {
        collection = store.collection("videos")
    }

    /// Indexes for listings, quota sums and the outbox sweep.
    func ensureIndexes() async throws {
        try await collection.createIndex(["owner": 1, "createdAt": -1, "_id": -1], name: "owner_created")
        try await collection.createIndex(["publishPending": 1, "createdAt": 1], name: "publish_pending")
    }

    func insert(_ record: VideoRecord) async throws {
        try await collection.insert(Self.document(record))
    }

    func record(id: VideoID) async throws -> VideoRecord? {
        try await collection.findOne(["_id": .string(id.description)]).map(Self.record(from:))
    }

    func videos(owner: UserID, after cursor: VideoCursor?, limit: Int) async throws -> [Video] {
        var filter: BSONDocument = ["owner": .string(owner.description)]
        if let cursor {
            filter["$or"] = [
                ["createdAt": ["$lt": .date(cursor.createdAt)]],
                ["createdAt": .date(cursor.createdAt), "_id": ["$lt": .string(cursor.id.description)]],
            ]
        }
        return try await collection.find(filter, sort: ["createdAt": -1, "_id": -1], limit: limit).map { try Self.record(from: $0).video }
    }

    func videoIDs(owner: UserID) async throws -> [VideoID] {
        try await collection.find(["owner": .string(owner.description)], projection: ["_id": 1])
            .compactMap { $0["_id"]?.string.flatMap(VideoID.init) }
    }

    func updateDetails(id: VideoID, change: VideoDetailsChange, at: Date) async throws -> Video? {
        var fields: BSONDocument = ["updatedAt": .date(JSONCoding.normalized(at))]
        if let title = change.title { fields["title"] = .string(title) }
        if let description = change.description { fields["description"] = .string(description) }
        if let visibility = change.visibility { fields["visibility"] = .string(visibility.rawValue) }
        let result = try await collection.updateOne(["_id": .string(id.description)], set: fields)
        guard result.matched > 0 else { return nil }
        return try await record(id: id)?.video
    }

    func updateProcessing(_ video: Video, expectedStatus: VideoStatus) async throws -> Bool {
        let full = Self.document(VideoRecord(video: video, sourceFileID: "", publishPending: false))
        var fields: BSONDocument = [:]
        var unset: BSONDocument = [:]
        for key in ["status", "updatedAt", "failureReason", "durationSeconds", "sourceWidth", "sourceHeight", "renditions", "captionState", "captionLanguage",
                    "captionFailureReason", "captionModel", "captionLanguageProbability", "captionTranslated", "captionEdited"] {
            if let value = full[key] { fields[key] = value } else { unset[key] = "" }
        }
        var update: BSONDocument = ["$set": .document(fields)]
        if !unset.isEmpty { update["$unset"] = .document(unset) }
        let result = try await collection.update(
            ["_id": .string(video.id.description), "status": .string(expectedStatus.rawValue)], update)
        return result.matched > 0
    }

    func delete(id: VideoID) async throws -> Bool {
        try await collection.delete(["_id": .string(id.description)], many: false) > 0
    }

    func storedBytes(owner: UserID) async throws -> Int64 {
        try await collection.find(["owner": .string(owner.description)], projection: ["size": 1])
            .reduce(0) { $0 + Int64($1["size"]?.int ?? 0) }
    }

    func storedBytesByOwner() async throws -> [(owner: UserID, bytes: Int64, videos: Int)] {
        var totals: [UserID: (bytes: Int64, videos: Int)] = [:]
        for document in try await collection.find([:], projection: ["owner": 1, "size": 1]) {
            guard let owner = document["owner"]?.string.flatMap(UserID.init) else { continue }
            totals[owner, default: (0, 0)].bytes += Int64(document["size"]?.int ?? 0)
            totals[owner, default: (0, 0)].videos += 1
        }
        return totals.map { (owner: $0.key, bytes: $0.value.bytes, videos: $0.value.videos) }
    }

    func pendingPublication(limit: Int) async throws -> [VideoRecord] {
        try await collection.find(["publishPending": true], sort: ["createdAt": 1], limit: limit).map(Self.record(from:))
    }

    func markSent(id: VideoID, _ sent: SentMessages) async throws {
        try await collection.update(["_id": .string(id.description)], ["$set": ["sent": .document(sent.document)]])
    }

    func markPublished(id: VideoID) async throws {
        try await collection.update(["_id": .string(id.description)], ["$unset": ["publishPending": "", "sent": ""]])
    }

    // MARK: Mapping

    static func document(_ record: VideoRecord) -> BSONDocument {
        let video = record.video
        var document: BSONDocument = [
            "_id": .string(video.id.description), "owner": .string(video.owner.description),
            "title": .string(video.title), "description": .string(video.description),
            "filename": .string(video.filename), "size": .int64(video.size), "sha256": .string(video.sha256),
            "contentType": .string(video.contentType), "status": .string(video.status.rawValue),
            "visibility": .string(video.visibility.rawValue), "createdAt": .date(video.createdAt),
            "updatedAt": .date(video.updatedAt), "sourceFileId": .string(record.sourceFileID),
            "renditions": .array(video.renditions.map { rendition in
                var document: BSONDocument = [
                    "quality": .string(rendition.quality), "width": .int64(Int64(rendition.width)),
                    "height": .int64(Int64(rendition.height)),
                ]
                if let bitrate = rendition.bitrate { document["bitrate"] = .int64(Int64(bitrate)) }
                if let size = rendition.size { document["size"] = .int64(size) }
                return .document(document)
            }),
        ]
        if record.publishPending { document["publishPending"] = true }
        if let sent = record.sent { document["sent"] = .document(sent.document) }
        if video.burnSubtitles { document["burnSubtitles"] = true }
        if let reason = video.failureReason { document["failureReason"] = .string(reason) }
        if let duration = video.durationSeconds { document["durationSeconds"] = .double(duration) }
        if let width = video.sourceWidth { document["sourceWidth"] = .int64(Int64(width)) }
        if let height = video.sourceHeight { document["sourceHeight"] = .int64(Int64(height)) }
        if let state = video.captionState { document["captionState"] = .string(state.rawValue) }
        if let language = video.captionLanguage { document["captionLanguage"] = .string(language) }
        if let reason = video.captionFailureReason { document["captionFailureReason"] = .string(reason) }
        if let model = video.captionModel { document["captionModel"] = .string(model) }
        if let probability = video.captionLanguageProbability { document["captionLanguageProbability"] = .double(probability) }
        if let translated = video.captionTranslated { document["captionTranslated"] = .bool(translated) }
        if let language = video.speechLanguage { document["speechLanguage"] = .string(language) }
        if let edited = video.captionEdited { document["captionEdited"] = .bool(edited) }
        if let origin = video.clipOf {
            document["clipOf"] = ["videoId": .string(origin.videoId.description), "from": .double(origin.from), "to": .double(origin.to)]
        }
        return document
    }

    static func record(from document: BSONDocument) throws -> VideoRecord {
        guard let id = document["_id"]?.string.flatMap(VideoID.init),
              let owner = document["owner"]?.string.flatMap(UserID.init),
              let status = document["status"]?.string.flatMap(VideoStatus.init(rawValue:)),
              let createdAt = document["createdAt"]?.date
        else { throw MediaStoreError.invalidReply("malformed videos document") }
        let renditions: [Rendition] = (document["renditions"]?.array ?? []).compactMap { value in
            guard let item = value.document, let quality = item["quality"]?.string,
                  let width = item["width"]?.int, let height = item["height"]?.int else { return nil }
            return Rendition(quality: quality, width: width, height: height, bitrate: item["bitrate"]?.int,
                             size: item["size"]?.int.map(Int64.init))
        }
        var video = Video(
            id: id, owner: owner, title: document["title"]?.string ?? "", description: document["description"]?.string ?? "",
            filename: document["filename"]?.string ?? "", size: Int64(document["size"]?.int ?? 0),
            sha256: document["sha256"]?.string ?? "", contentType: document["contentType"]?.string ?? "",
            status: status, visibility: document["visibility"]?.string.flatMap(VideoVisibility.init(rawValue:)) ?? .private,
            createdAt: createdAt, updatedAt: document["updatedAt"]?.date ?? createdAt,
            failureReason: document["failureReason"]?.string, durationSeconds: document["durationSeconds"]?.double,
            sourceWidth: document["sourceWidth"]?.int, sourceHeight: document["sourceHeight"]?.int,
            renditions: renditions,
            captionState: document["captionState"]?.string.flatMap(CaptionState.init(rawValue:)),
            captionLanguage: document["captionLanguage"]?.string,
            captionFailureReason: document["captionFailureReason"]?.string,
            burnSubtitles: document["burnSubtitles"]?.bool ?? false
        )
        video.captionModel = document["captionModel"]?.string
        video.captionLanguageProbability = document["captionLanguageProbability"]?.double
        video.captionTranslated = document["captionTranslated"]?.bool
        video.speechLanguage = document["speechLanguage"]?.string
        video.captionEdited = document["captionEdited"]?.bool
        if let origin = document["clipOf"]?.document, let source = origin["videoId"]?.string.flatMap(VideoID.init),
           let from = origin["from"]?.double, let to = origin["to"]?.double {
            video.clipOf = ClipOrigin(videoId: source, from: from, to: to)
        }
        return VideoRecord(video: video, sourceFileID: document["sourceFileId"]?.string ?? "",
                           publishPending: document["publishPending"]?.bool ?? false,
                           sent: SentMessages(document: document["sent"]?.document))
    }
}
