import ClipCutCore
import Foundation
import Logging
import NIOCore
import Testing

@testable import UploadService

/// Media that nothing else would remove: a file stored twice by two workers, and files of a
/// video deleted while processing still wrote them. Against the real MongoDB server.
@Suite("Media clean-up against a real server")
struct MediaCleanupTests {
    /// A sink producer that writes `bytes` once `gate` lets it.
    static func gatedProducer(_ bytes: [UInt8], _ gate: AsyncStream<Void>) -> (any ByteSink) async throws -> Void {
        { sink in
            for await _ in gate { break }
            try await sink.write(ByteBuffer(bytes: bytes))
        }
    }

    @Test("two workers store the same media file at once: one file of that name is left, the newest")
    func concurrentStoresLeaveOneFile() async throws {
        try await LiveUploadService.run { service, _ in
            let storage = service.dependencies.storage
            let video = VideoID.random()
            let name = MediaLayout.hlsFile(video, path: "720p/segment_00001.m4s")
            let gates = (0..<2).map { _ in AsyncStream.makeStream(of: Void.self) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, gate) in gates.enumerated() {
                    group.addTask {
                        _ = try await storage.storeMedia(
                            named: name, videoId: video, metadata: [:], Self.gatedProducer([UInt8](repeating: UInt8(index), count: 1000), gate.stream))
                    }
                }
                // Both uploads are open before either completes (what two workers on one video do).
                try await Task.sleep(for: .milliseconds(200))
                for gate in gates {
                    gate.continuation.yield()
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await group.waitForAll()
            }
            let files = try await storage.mediaFiles(of: video).filter { $0.name == name }
            #expect(files.count == 1, "before the fix both files stayed")
        }
    }

    @Test("the sweep removes sources and media of a video that no longer exists, once older than the grace, and keeps the rest")
    func sweepRemovesOrphans() async throws {
        try await LiveUploadService.run { service, _ in
            let storage = service.dependencies.storage
            let repository = service.dependencies.repository
            func storeFiles(_ video: VideoID) async throws -> StoredFile {
                let (_, source) = try await storage.storeSource(filename: "a.mp4", videoId: video, owner: .random()) { sink in
                    try await sink.write(ByteBuffer(bytes: fakeMP4(5000)))
                }
                _ = try await storage.storeMedia(named: MediaLayout.hlsMaster(video), videoId: video, metadata: [:]) { sink in
                    try await sink.write(ByteBuffer(string: "#EXTM3U\n"))
                }
                return source
            }
            let kept = VideoID.random(), deleted = VideoID.random()
            let keptSource = try await storeFiles(kept)
            _ = try await storeFiles(deleted)
            let video = Video(
                id: kept, owner: .random(), title: "t", description: "", filename: "a.mp4", size: 5000, sha256: "", contentType: "video/mp4")
            try await repository.insert(VideoRecord(video: video, sourceFileID: keptSource.id, publishPending: false))

            let sweeper = OrphanMediaSweeper(
                storage: storage, repository: repository, interval: .seconds(600), grace: .seconds(600), logger: Logger(label: "test"))
            #expect(try await sweeper.sweep().isEmpty, "files younger than the grace stay")
            let removed = try await sweeper.sweep(now: Date().addingTimeInterval(601))
            #expect(removed == [deleted])
            #expect(try await storage.mediaFiles(of: deleted).isEmpty)
            #expect(try await storage.videosWithMedia(storedBefore: Date().addingTimeInterval(1)) == [kept])
            #expect(try await storage.mediaFiles(of: kept).count == 1)
            #expect(try await storage.source(id: keptSource.id) != nil)
        }
    }
}
