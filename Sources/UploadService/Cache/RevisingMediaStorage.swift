import ClipCutCore
import Foundation
import Logging
import NIOCore

/// GridFS with the video's media revision bumped after a media file is stored or deleted, so
/// that no replica goes on serving the file a name meant before (see ``MediaLookups``).
struct RevisingMediaStorage: MediaStorage {
    let base: any MediaStorage
    let revisions: any MediaRevisions
    let logger: Logger

    private func bump(_ id: VideoID) async { await revisions.bump(id, logger: logger) }

    func storeSource<T: Sendable>(
        filename: String, videoId: VideoID, owner: UserID, _ produce: (any ByteSink) async throws -> T
    ) async throws -> (value: T, file: StoredFile) {
        try await base.storeSource(filename: filename, videoId: videoId, owner: owner, produce)
    }
    func newSourceID() -> String { base.newSourceID() }
    func putSourceChunk(fileID: String, n: Int, data: [UInt8]) async throws { try await base.putSourceChunk(fileID: fileID, n: n, data: data) }
    func sourceChunk(fileID: String, n: Int) async throws -> [UInt8]? { try await base.sourceChunk(fileID: fileID, n: n) }
    func deleteSourceChunks(fileID: String, from n: Int) async throws { try await base.deleteSourceChunks(fileID: fileID, from: n) }
    func completeSource(
        fileID: String, length: Int, chunkSize: Int, filename: String, videoId: VideoID, owner: UserID
    ) async throws -> StoredFile {
        try await base.completeSource(fileID: fileID, length: length, chunkSize: chunkSize, filename: filename, videoId: videoId, owner: owner)
    }
    func source(id: String) async throws -> StoredFile? { try await base.source(id: id) }
    func deleteSource(id: String) async throws { try await base.deleteSource(id: id) }
    func mediaFile(named name: String) async throws -> StoredFile? { try await base.mediaFile(named: name) }
    func mediaFiles(of videoId: VideoID) async throws -> [StoredFile] { try await base.mediaFiles(of: videoId) }

    func storeMedia<T: Sendable>(
        named name: String, videoId: VideoID, metadata: [String: String], _ produce: (any ByteSink) async throws -> T
    ) async throws -> (value: T, file: StoredFile) {
        let stored = try await base.storeMedia(named: name, videoId: videoId, metadata: metadata, produce)
        await bump(videoId)
        return stored
    }

    func deleteMediaFile(named name: String) async throws -> Bool {
        let deleted = try await base.deleteMediaFile(named: name)
        if let videoId = name.split(separator: "/").first.flatMap({ VideoID(String($0)) }) { await bump(videoId) }
        return deleted
    }

    func deleteMedia(of videoId: VideoID) async throws -> Int {
        let count = try await base.deleteMedia(of: videoId)
        await bump(videoId)
        return count
    }

    func videosWithMedia(storedBefore cutoff: Date) async throws -> [VideoID] { try await base.videosWithMedia(storedBefore: cutoff) }
    func deleteSources(of videoId: VideoID) async throws -> Int { try await base.deleteSources(of: videoId) }
    func read(_ file: StoredFile, range: Range<Int>, _ consume: (ByteBuffer) async throws -> Void) async throws {
        try await base.read(file, range: range, consume)
    }
}
