import ClipCutCore
import Foundation
import Logging
import Synchronization
import Testing
@testable import Transcoder

@testable import ProcessingService

/// Media kept in memory by name, as upload-service would keep it in GridFS.
final class MemoryMedia: MediaAccess {
    let files = Mutex<[String: [UInt8]]>([:])
    let stores = Mutex<[String]>([])
    let deletions = Mutex(0)

    func video(_ id: VideoID) async throws -> VideoSnapshot? { nil }
    func downloadSource(_ video: VideoSnapshot, to path: String) async throws { throw MediaAccessError(status: 404, what: "source") }
    func store(_ path: String, as name: String, videoId: VideoID, metadata: [String: String]) async throws -> Int {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try await store(bytes: bytes, as: name, videoId: videoId)
        return bytes.count
    }
    func store(bytes: [UInt8], as name: String, videoId: VideoID) async throws {
        files.withLock { $0[name] = bytes }
        stores.withLock { $0.append(name) }
    }
    func downloadMedia(named name: String, to path: String) async throws -> Bool {
        guard let bytes = files.withLock({ $0[name] }) else { return false }
        return FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }
    func deleteMedia(of videoId: VideoID) async throws {
        files.withLock { $0 = $0.filter { !$0.key.hasPrefix("\(videoId)/") } }
        deletions.withLock { $0 += 1 }
    }

    func text(_ name: String) -> String? { files.withLock { $0[name] }.map { String(decoding: $0, as: UTF8.self) } }
    func storeCount(_ name: String) -> Int { stores.withLock { $0.filter { $0 == name }.count } }
}

/// Two rungs of real fMP4 segments (ffmpeg, 6 s), copied into a rung's directory a few at a time
/// with an ffmpeg-style playlist, as the encoder would write them.
struct SegmentSource {
    let made: String
    let segments: [HLSMediaPlaylist.Segment]

    static func make() async throws -> SegmentSource {
        let made = scratchFile("made")
        try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: true)
        // Cut by stream copy, as a copied rung is: ffprobe knows no level for such an init segment.
        let source = try await makeSource(
            "src.mp4", video: "testsrc2=size=320x180:rate=25", seconds: 6, tone: true,
            codec: ["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0"])
        try await run("/usr/bin/ffmpeg", HLSSegmenting.copy(source: .file(source), hasAudio: true, directory: made))
        let playlist = HLSMediaPlaylist.parse(try String(contentsOfFile: "\(made)/index.m3u8", encoding: .utf8))
        return SegmentSource(made: made, segments: playlist.segments)
    }

    /// A rung directory holding the first `count` segments (and `init.mp4`).
    func write(_ count: Int, to directory: String, ended: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["init.mp4"] + segments.prefix(count).map(\.uri) where !FileManager.default.fileExists(atPath: "\(directory)/\(name)") {
            try FileManager.default.copyItem(atPath: "\(made)/\(name)", toPath: "\(directory)/\(name)")
        }
        let text = HLSMediaPlaylist(segments: Array(segments.prefix(count)), ended: ended).text
        try text.write(toFile: "\(directory)/index.m3u8", atomically: true, encoding: .utf8)
    }
}

@Suite("SegmentPublisher: segments stored as they close, a growing playlist, the master, playable once")
struct SegmentPublisherTests {
    static let rungs = [
        Rung(name: "360p", width: 640, height: 360, maxRate: 800_000, bufferSize: 1_600_000, frameRate: 25, isRemux: true),
        Rung(name: "240p", width: 426, height: 240, maxRate: 400_000, bufferSize: 800_000, frameRate: 25, isRemux: false),
    ]

    func publisher(_ media: MemoryMedia, _ reporter: RecordingReporter, _ id: VideoID) -> SegmentPublisher {
        SegmentPublisher(media: media, events: reporter, videoId: id, hasAudio: true, logger: Logger(label: "test"), currentPercent: { 37 })
    }

    @Test("without a copied rung the master waits for every rung's first segment; playlists grow, then end")
    func everyRungOpens() async throws {
        let source = try await SegmentSource.make()
        let (media, reporter, id, work) = (MemoryMedia(), RecordingReporter(), VideoID.random(), scratchFile("work"))
        let publisher = publisher(media, reporter, id)
        for rung in Self.rungs { await publisher.add(rung, directory: "\(work)/\(rung.name)", opensPlayback: true, previous: nil) }
        try source.write(1, to: "\(work)/360p")
        try await publisher.publishPending()
        #expect(media.text(MediaLayout.hlsFile(id, path: "360p/seg_00000.m4s")) != nil)
        #expect(media.text(MediaLayout.hlsMaster(id)) == nil && reporter.types.isEmpty)
        try source.write(1, to: "\(work)/240p")
        try source.write(2, to: "\(work)/360p")
        try await publisher.publishPending()
        let master = try #require(media.text(MediaLayout.hlsMaster(id)))
        #expect(master.contains("360p/index.m3u8") && master.contains("240p/index.m3u8") && master.contains("mp4a.40.2"))
        // The codec string the stream declares (a browser refuses a made-up level).
        let declared = try #require(HLSMasterPlaylist.avcCodec(initSegment: [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(source.made)/init.mp4")))))
        #expect(declared.range(of: "^avc1\\.[0-9a-f]{6}$", options: .regularExpression) != nil && master.contains("CODECS=\"\(declared),mp4a.40.2\""))
        #expect(reporter.types == [.videoPlayable])
        let announced = try #require(reporter.progressEvents.withLock { $0.last })
        #expect(announced.payload.percent == 37 && announced.payload.playableSeconds == source.segments[0].duration)
        let growing = HLSMediaPlaylist.parse(try #require(media.text(MediaLayout.hlsFile(id, path: "360p/index.m3u8"))))
        #expect(growing.segments.count == 2 && !growing.ended)

        for rung in Self.rungs { try source.write(source.segments.count, to: "\(work)/\(rung.name)", ended: true) }
        let finished = try await publisher.finish()
        #expect(finished["240p"]?.segments == source.segments)
        for rung in Self.rungs {
            let stored = HLSMediaPlaylist.parse(try #require(media.text(MediaLayout.hlsFile(id, path: "\(rung.name)/index.m3u8"))))
            #expect(stored.ended && stored.segments == source.segments)
            #expect(media.storeCount(MediaLayout.hlsFile(id, path: "\(rung.name)/seg_00000.m4s")) == 1, "each segment stored once")
        }
        #expect(reporter.types == [.videoPlayable], "playable is announced once")
    }

    @Test("a copied rung opens playback alone; the encoded rungs join the master as their first segments land")
    func copiedRungOpens() async throws {
        let source = try await SegmentSource.make()
        let (media, reporter, id, work) = (MemoryMedia(), RecordingReporter(), VideoID.random(), scratchFile("work"))
        let publisher = publisher(media, reporter, id)
        await publisher.add(Self.rungs[0], directory: "\(work)/360p", opensPlayback: true, previous: nil)
        await publisher.add(Self.rungs[1], directory: "\(work)/240p", opensPlayback: false, previous: nil)
        try source.write(source.segments.count, to: "\(work)/360p", ended: true)
        // Every segment of the copy is there at once: the master goes out after the first one.
        #expect(try await publisher.publishPending(segmentsPerRung: 1), "more segments left for the next pass")
        #expect(media.storeCount(MediaLayout.hlsFile(id, path: "360p/seg_00001.m4s")) == 0)
        let first = try #require(media.text(MediaLayout.hlsMaster(id)))
        #expect(first.contains("360p/index.m3u8") && !first.contains("240p"))
        #expect(reporter.types == [.videoPlayable])
        try source.write(1, to: "\(work)/240p")
        #expect(try await publisher.publishPending() == false)
        #expect(media.storeCount(MediaLayout.hlsFile(id, path: "360p/seg_00001.m4s")) == 1)
        #expect(try #require(media.text(MediaLayout.hlsMaster(id))).contains("240p/index.m3u8"))
        #expect(reporter.types == [.videoPlayable])
    }

    @Test("after an attempt that made the video playable: segments replaced in place, the stored playlist kept until passed, nothing deleted")
    func replacesInPlace() async throws {
        let source = try await SegmentSource.make()
        let (media, reporter, id, work) = (MemoryMedia(), RecordingReporter(), VideoID.random(), scratchFile("work"))
        let earlier = HLSMediaPlaylist(segments: Array(source.segments.prefix(2)))
        for rung in Self.rungs {
            for segment in earlier.segments {
                _ = try await media.store("\(source.made)/\(segment.uri)", as: MediaLayout.hlsFile(id, path: "\(rung.name)/\(segment.uri)"), videoId: id, metadata: [:])
            }
            try await media.store(bytes: Array(earlier.text.utf8), as: MediaLayout.hlsFile(id, path: "\(rung.name)/index.m3u8"), videoId: id)
        }
        try await media.store(bytes: Array("#EXTM3U\n".utf8), as: MediaLayout.hlsMaster(id), videoId: id)
        let publisher = publisher(media, reporter, id)
        for rung in Self.rungs { await publisher.add(rung, directory: "\(work)/\(rung.name)", opensPlayback: true, previous: earlier) }
        await publisher.adoptPublishedMaster()
        #expect(reporter.types == [.videoPlayable])
        for rung in Self.rungs { try source.write(1, to: "\(work)/\(rung.name)") }
        try await publisher.publishPending()
        #expect(media.storeCount(MediaLayout.hlsFile(id, path: "360p/seg_00000.m4s")) == 2, "replaced")
        #expect(media.text(MediaLayout.hlsFile(id, path: "360p/index.m3u8")) == earlier.text, "the longer stored playlist stays")
        #expect(media.deletions.withLock { $0 } == 0)
        for rung in Self.rungs { try source.write(3, to: "\(work)/\(rung.name)") }
        try await publisher.publishPending()
        #expect(HLSMediaPlaylist.parse(try #require(media.text(MediaLayout.hlsFile(id, path: "360p/index.m3u8")))).segments.count == 3)
        #expect(reporter.types == [.videoPlayable])
    }

    @Test("when a new segment's length differs from the stored one, the stored media is deleted and published afresh")
    func startsAfresh() async throws {
        let source = try await SegmentSource.make()
        let (media, reporter, id, work) = (MemoryMedia(), RecordingReporter(), VideoID.random(), scratchFile("work"))
        var earlier = HLSMediaPlaylist(segments: Array(source.segments.prefix(2)))
        earlier.segments[0].duration += 0.5
        try await media.store(bytes: Array(earlier.text.utf8), as: MediaLayout.hlsFile(id, path: "360p/index.m3u8"), videoId: id)
        let publisher = publisher(media, reporter, id)
        await publisher.add(Self.rungs[0], directory: "\(work)/360p", opensPlayback: true, previous: earlier)
        try source.write(1, to: "\(work)/360p")
        try await publisher.publishPending()
        #expect(media.deletions.withLock { $0 } == 1)
        let stored = HLSMediaPlaylist.parse(try #require(media.text(MediaLayout.hlsFile(id, path: "360p/index.m3u8"))))
        #expect(stored.segments == Array(source.segments.prefix(1)))
        #expect(media.text(MediaLayout.hlsMaster(id)) != nil)
    }

    @Test("captions done before the encode join the master as they arrive, with their subtitle playlists")
    func captionsJoin() async throws {
        let source = try await SegmentSource.make()
        let (media, reporter, id, work) = (MemoryMedia(), RecordingReporter(), VideoID.random(), scratchFile("work"))
        let vtt = scratchFile("en.vtt")
        try "WEBVTT\n\n00:00.000 --> 00:02.000\nHello there\n".write(toFile: vtt, atomically: true, encoding: .utf8)
        let done = Mutex<[CaptionTrack]?>(nil)
        let publisher = SegmentPublisher(
            media: media, events: reporter, videoId: id, hasAudio: true, logger: Logger(label: "test"), duration: 6,
            captions: { done.withLock { $0 } })
        await publisher.add(Self.rungs[0], directory: "\(work)/360p", opensPlayback: true, previous: nil)
        try source.write(1, to: "\(work)/360p")
        try await publisher.publishPending()
        #expect(try #require(media.text(MediaLayout.hlsMaster(id))).contains("SUBTITLES") == false)
        done.withLock { $0 = [CaptionTrack(path: vtt, language: "en", text: "")] }
        try await publisher.publishPending()
        let master = try #require(media.text(MediaLayout.hlsMaster(id)))
        #expect(master.contains(#"TYPE=SUBTITLES,GROUP-ID="subs""#) && master.contains(#"URI="subs/en.m3u8""#) && master.contains(#"SUBTITLES="subs""#))
        #expect(media.text(MediaLayout.hlsFile(id, path: "subs/en.vtt"))?.contains("Hello there") == true)
        #expect(media.text(MediaLayout.captions(id, language: "en")) != nil && media.text(MediaLayout.hlsFile(id, path: "subs/en.m3u8")) != nil)
    }
}
