import ClipCutCore
import Foundation
import MediaStore
import NIOCore
import Synchronization

@testable import UploadService

/// The `videos` collection in memory.
final class InMemoryVideoRepository: VideoRepository {
    let records = Mutex<[VideoID: VideoRecord]>([:])
    /// How many times a video was looked up.
    let recordReads = Mutex(0)

    func insert(_ record: VideoRecord) async throws {
        try records.withLock { records in
            guard records[record.video.id] == nil else { throw TestFailure("duplicate video id") }
            records[record.video.id] = record
        }
    }

    func record(id: VideoID) async throws -> VideoRecord? {
        recordReads.withLock { $0 += 1 }
        return records.withLock { $0[id] }
    }

    func videos(owner: UserID, after cursor: VideoCursor?, limit: Int) async throws -> [Video] {
        let all = records.withLock { $0.values.map(\.video) }.filter { $0.owner == owner }
            .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        let after = cursor.map { cursor in all.filter { ($0.createdAt, $0.id) < (cursor.createdAt, cursor.id) } } ?? all
        return Array(after.prefix(limit))
    }

    func videoIDs(owner: UserID) async throws -> [VideoID] {
        records.withLock { $0.values.filter { $0.video.owner == owner }.map(\.video.id) }
    }

    func updateDetails(id: VideoID, change: VideoDetailsChange, at: Date) async throws -> Video? {
        records.withLock { records in
            guard var record = records[id] else { return nil }
            if let title = change.title { record.video.title = title }
            if let description = change.description { record.video.description = description }
            if let visibility = change.visibility { record.video.visibility = visibility }
            record.video.updatedAt = JSONCoding.normalized(at)
            records[id] = record
            return record.video
        }
    }

    func updateProcessing(_ video: Video, expectedStatus: VideoStatus) async throws -> Bool {
        records.withLock { records in
            guard var record = records[video.id], record.video.status == expectedStatus else { return false }
            let title = record.video.title, description = record.video.description, visibility = record.video.visibility
            record.video = video
            record.video.title = title
            record.video.description = description
            record.video.visibility = visibility
            records[video.id] = record
            return true
        }
    }

    func delete(id: VideoID) async throws -> Bool { records.withLock { $0.removeValue(forKey: id) != nil } }

    func storedBytes(owner: UserID) async throws -> Int64 {
        records.withLock { $0.values.filter { $0.video.owner == owner }.reduce(0) { $0 + $1.video.size } }
    }

    func storedBytesByOwner() async throws -> [(owner: UserID, bytes: Int64, videos: Int)] {
        records.withLock { records in
            Dictionary(grouping: records.values, by: \.video.owner)
                .map { (owner: $0.key, bytes: $0.value.reduce(0) { $0 + $1.video.size }, videos: $0.value.count) }
        }
    }

    func pendingPublication(limit: Int) async throws -> [VideoRecord] {
        records.withLock { Array($0.values.filter(\.publishPending).sorted { $0.video.createdAt < $1.video.createdAt }.prefix(limit)) }
    }

    func markSent(id: VideoID, _ sent: SentMessages) async throws {
        records.withLock { $0[id]?.sent = sent }
    }

    func markPublished(id: VideoID) async throws {
        records.withLock {
            $0[id]?.publishPending = false
            $0[id]?.sent = nil
        }
    }
}

/// GridFS in memory: files by id, and loose chunks by (file id, n).
final class InMemoryMediaStorage: MediaStorage {
    struct State {
        var files: [String: (file: StoredFile, bytes: [UInt8])] = [:]
        var chunks: [String: [Int: [UInt8]]] = [:]
    }

    let state = Mutex(State())
    /// Reads that fail (a database blip) before reads work again.
    let failingReads = Mutex(0)
    /// Reads of each file so far (by file id), counting every one that started.
    let reads = Mutex<[String: Int]>([:])

    /// Bytes pushed into the sink of a source being stored.
    final class Sink: ByteSink {
        var bytes: [UInt8] = []
        func write(_ buffer: ByteBuffer) async throws { bytes.append(contentsOf: buffer.readableBytesView) }
    }

    var fileCount: Int { state.withLock { $0.files.count } }
    var looseChunkCount: Int { state.withLock { $0.chunks.values.reduce(0) { $0 + $1.count } } }

    func storeSource<T: Sendable>(
        filename: String, videoId: VideoID, owner: UserID, _ produce: (any ByteSink) async throws -> T
    ) async throws -> (value: T, file: StoredFile) {
        let sink = Sink()
        let value = try await produce(sink)
        let file = add(bucket: .sources, name: filename, bytes: sink.bytes, metadata: ["videoId": videoId.description])
        return (value, file)
    }

    /// Stores a file as processing-service would.
    @discardableResult
    func add(bucket: MediaBucketName, name: String, bytes: [UInt8], metadata: [String: String] = [:]) -> StoredFile {
        let id = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24)).lowercased()
        let file = StoredFile(bucket: bucket, id: id, name: name, length: bytes.count, chunkSize: 255 * 1024,
                              uploadDate: Date(timeIntervalSince1970: 1_700_000_000), metadata: metadata)
        state.withLock { $0.files[id] = (file, bytes) }
        return file
    }

    func newSourceID() -> String { String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24)).lowercased() }

    func putSourceChunk(fileID: String, n: Int, data: [UInt8]) async throws {
        state.withLock { $0.chunks[fileID, default: [:]][n] = data }
    }

    func sourceChunk(fileID: String, n: Int) async throws -> [UInt8]? {
        state.withLock { state in
            if let chunk = state.chunks[fileID]?[n] { return chunk }
            // As GridFS: a completed file's chunks are still its chunks.
            guard let (file, bytes) = state.files[fileID], n * file.chunkSize < bytes.count else { return nil }
            return Array(bytes[(n * file.chunkSize)..<min(bytes.count, (n + 1) * file.chunkSize)])
        }
    }

    func deleteSourceChunks(fileID: String, from n: Int) async throws {
        state.withLock { state in
            state.chunks[fileID] = state.chunks[fileID]?.filter { $0.key < n }
            if state.chunks[fileID]?.isEmpty == true { state.chunks[fileID] = nil }
        }
    }

    func completeSource(fileID: String, length: Int, chunkSize: Int, filename: String, videoId: VideoID, owner: UserID) async throws -> StoredFile {
        try state.withLock { state in
            // As GridFS: the files document is written once.
            guard state.files[fileID] == nil else { throw MediaStoreError.duplicateKey("a GridFS file with id \(fileID) exists") }
            let chunks = state.chunks.removeValue(forKey: fileID) ?? [:]
            let bytes = chunks.keys.sorted().flatMap { chunks[$0] ?? [] }
            guard bytes.count == length else { throw TestFailure("chunks hold \(bytes.count) bytes, expected \(length)") }
            let file = StoredFile(bucket: .sources, id: fileID, name: filename, length: length, chunkSize: chunkSize,
                                  uploadDate: Date(), metadata: ["videoId": videoId.description])
            state.files[fileID] = (file, bytes)
            return file
        }
    }

    func source(id: String) async throws -> StoredFile? { state.withLock { $0.files[id]?.file } }

    func deleteSource(id: String) async throws {
        state.withLock { state in
            state.files[id] = nil
            state.chunks[id] = nil
        }
    }

    func mediaFile(named name: String) async throws -> StoredFile? {
        state.withLock { $0.files.values.first { $0.file.bucket == .media && $0.file.name == name }?.file }
    }

    func deleteMediaFile(named name: String) async throws -> Bool {
        state.withLock { state in
            let ids = state.files.values.filter { $0.file.bucket == .media && $0.file.name == name }.map(\.file.id)
            for id in ids { state.files[id] = nil }
            return !ids.isEmpty
        }
    }

    func mediaFiles(of videoId: VideoID) async throws -> [StoredFile] {
        state.withLock { $0.files.values.map(\.file).filter { $0.bucket == .media && $0.metadata["videoId"] == videoId.description } }
    }

    func storeMedia<T: Sendable>(
        named name: String, videoId: VideoID, metadata: [String: String], _ produce: (any ByteSink) async throws -> T
    ) async throws -> (value: T, file: StoredFile) {
        let sink = Sink()
        let value = try await produce(sink)
        state.withLock { state in
            for id in state.files.values.filter({ $0.file.bucket == .media && $0.file.name == name }).map(\.file.id) { state.files[id] = nil }
        }
        let file = add(bucket: .media, name: name, bytes: sink.bytes, metadata: metadata.merging(["videoId": videoId.description]) { $1 })
        return (value, file)
    }

    func deleteMedia(of videoId: VideoID) async throws -> Int {
        state.withLock { state in
            let ids = state.files.values.filter { $0.file.bucket == .media && $0.file.metadata["videoId"] == videoId.description }.map(\.file.id)
            for id in ids { state.files[id] = nil }
            return ids.count
        }
    }

    func videosWithMedia(storedBefore cutoff: Date) async throws -> [VideoID] {
        state.withLock { state in
            let ids = state.files.values.filter { $0.file.uploadDate < cutoff }.compactMap { $0.file.metadata["videoId"].flatMap(VideoID.init) }
            return Set(ids).sorted { $0.description < $1.description }
        }
    }

    func deleteSources(of videoId: VideoID) async throws -> Int {
        state.withLock { state in
            let ids = state.files.values.filter { $0.file.bucket == .sources && $0.file.metadata["videoId"] == videoId.description }.map(\.file.id)
            for id in ids { state.files[id] = nil }
            return ids.count
        }
    }

    func read(_ file: StoredFile, range: Range<Int>, _ consume: (ByteBuffer) async throws -> Void) async throws {
        let fails = failingReads.withLock { count in
            defer { count = max(0, count - 1) }
            return count > 0
        }
        reads.withLock { $0[file.id, default: 0] += 1 }
        if fails { throw TestFailure("the database did not answer") }
        guard let bytes = state.withLock({ $0.files[file.id]?.bytes }) else { throw TestFailure("no such file") }
        var position = range.lowerBound
        while position < range.upperBound {
            let end = min(range.upperBound, position + 64 * 1024)
            try await consume(ByteBuffer(bytes: bytes[position..<end]))
            position = end
        }
    }

    func bytes(ofFile id: String) -> [UInt8]? { state.withLock { $0.files[id]?.bytes } }
}

/// tus uploads in memory.
final class InMemoryTusUploads: TusUploadRepository {
    let uploads = Mutex<[String: TusUpload]>([:])

    func insert(_ upload: TusUpload) async throws { uploads.withLock { $0[upload.id] = upload } }
    func upload(id: String) async throws -> TusUpload? { uploads.withLock { $0[id] } }

    func advance(id: String, from: Int64, to: Int64, expiresAt: Date) async throws -> Bool {
        uploads.withLock { uploads in
            guard uploads[id]?.offset == from else { return false }
            uploads[id]?.offset = to
            uploads[id]?.expiresAt = expiresAt
            return true
        }
    }

    let completing = Mutex<[String: Date]>([:])

    func beginCompletion(id: String, now: Date, staleAfter: Duration) async throws -> TusCompletionClaim {
        let finished = uploads.withLock { $0[id]?.completedVideo }
        if let finished { return .complete(finished) }
        return completing.withLock { completing in
            if let since = completing[id], since > now.addingTimeInterval(-Double(staleAfter.components.seconds)) { return .inProgress }
            completing[id] = now
            return .claimed
        }
    }

    func abandonCompletion(id: String) async throws { _ = completing.withLock { $0.removeValue(forKey: id) } }

    func complete(id: String, videoId: VideoID) async throws { uploads.withLock { $0[id]?.completedVideo = videoId } }
    func delete(id: String) async throws { _ = uploads.withLock { $0.removeValue(forKey: id) } }

    func reservedBytes(owner: UserID, excluding: String?) async throws -> Int64 {
        uploads.withLock { $0.values.filter { $0.owner == owner && $0.completedVideo == nil && $0.id != excluding }.reduce(0) { $0 + $1.length } }
    }

    func unfinished(owner: UserID, now: Date) async throws -> [TusUpload] {
        uploads.withLock { $0.values.filter { $0.owner == owner && $0.completedVideo == nil && $0.expiresAt >= now }.sorted { $0.createdAt > $1.createdAt } }
    }

    func expired(before: Date, limit: Int) async throws -> [TusUpload] {
        uploads.withLock { Array($0.values.filter { $0.expiresAt < before }.prefix(limit)) }
    }
}

/// Records what would go to Redis; `isDown` makes every append fail like an unreachable server,
/// ``lose(_:)`` drops an entry as a Redis crash would.
final class RecordingPublisher: VideoEventPublisher {
    let appended = Mutex<[(stream: String, json: String, id: String)]>([])
    let down = Mutex(false)

    var isDown: Bool {
        get { down.withLock { $0 } }
        set { down.withLock { $0 = newValue } }
    }

    func append(_ json: String, to stream: String) async throws -> String {
        guard !isDown else { throw TestFailure("Redis is down") }
        return appended.withLock { appended in
            let id = "\(appended.count + 1)-0"
            appended.append((stream, json, id))
            return id
        }
    }

    func contains(_ id: String, in stream: String) async throws -> Bool {
        guard !isDown else { throw TestFailure("Redis is down") }
        return appended.withLock { $0.contains { $0.id == id && $0.stream == stream } }
    }

    /// Removes every entry appended so far, as a crash that lost them.
    func loseEverything() {
        appended.withLock { $0.removeAll() }
    }

    /// The decoded messages appended to `stream`.
    func messages(on stream: String) -> [ClipCutEvent] {
        appended.withLock { $0.filter { $0.stream == stream }.compactMap { try? ClipCutEvent.decode(from: $0.json) } }
    }
}

/// The outbox in memory.
final class InMemoryOutbox: EventOutbox {
    let entries = Mutex<[OutboxEntry]>([])

    func add(_ entry: OutboxEntry) async throws {
        entries.withLock { entries in if !entries.contains(where: { $0.id == entry.id }) { entries.append(entry) } }
    }

    func pending(limit: Int) async throws -> [OutboxEntry] { entries.withLock { Array($0.prefix(limit)) } }

    func markSent(id: UUID, _ sent: SentMessages) async throws {
        entries.withLock { entries in
            if let index = entries.firstIndex(where: { $0.id == id }) { entries[index].sent = sent }
        }
    }

    func remove(id: UUID) async throws { entries.withLock { $0.removeAll { $0.id == id } } }
}

/// A failure raised by a test double.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Records which videos were sent to processing-service for a caption re-mux.
final class RecordingRemuxRequests: CaptionRemuxRequester {
    let requested = Mutex<[VideoID]>([])

    func requestRemux(_ videoId: VideoID) async throws {
        requested.withLock { $0.append(videoId) }
    }
}

/// Media revisions in memory (Redis in production).
final class InMemoryMediaRevisions: MediaRevisions {
    let values = Mutex<[VideoID: Int]>([:])
    /// When set, every call fails as an unreachable Redis would.
    let unavailable = Mutex(false)

    func current(_ videoId: VideoID) async throws -> String? {
        if unavailable.withLock({ $0 }) { throw TestFailure("Redis did not answer") }
        return values.withLock { $0[videoId].map(String.init) }
    }

    func bump(_ videoId: VideoID) async throws {
        if unavailable.withLock({ $0 }) { throw TestFailure("Redis did not answer") }
        values.withLock { $0[videoId, default: 0] += 1 }
    }
}
