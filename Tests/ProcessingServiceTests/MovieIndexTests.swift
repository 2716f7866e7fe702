import ClipCutCore
import Foundation
import Synchronization
import Testing
@testable import Transcoder

@testable import ProcessingService

/// ``MovieIndex`` read from MP4s that real ffmpeg wrote, against what ffprobe says of the same
/// files: every video packet's presentation time and keyframe flag, the movie's length, the
/// picture's size, profile, level, frame rate and bit rate, and whether there is sound.
@Suite("MovieIndex: an MP4's moov read without ffprobe (real ffmpeg)", .serialized)
struct MovieIndexTests {
    static let limit = Duration.seconds(120)

    @Test("a rendition made as the ladder makes one, with B-frames, sound and an edit list")
    func progressive() async throws {
        try await withWork { work in
            let path = "\(work)/rendition.mp4"
            try await SmartCutTests.makeRendition(SmartCutTests.rungs[0], at: path)
            try await Self.expectMatchesFFprobe(path)
        }
    }

    @Test("an MP4 remuxed from fragments with the picture delay taken back, as the packager stores a rung")
    func remuxedFromFragments() async throws {
        try await withWork { work in
            let fragments = "\(work)/fragments.mp4", remuxed = "\(work)/rung.mp4"
            _ = try await runTool(Programs.ffmpeg, [
                "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=426x240:rate=25:duration=7",
                "-f", "lavfi", "-i", "sine=frequency=300:duration=7", "-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-g", "50",
                "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov+default_base_moof", fragments,
            ], timeLimit: Self.limit)
            _ = try await runTool(Programs.ffmpeg, Packaging.mp4WithoutCaptions(rung: fragments, output: remuxed, startOffset: 0.023), timeLimit: Self.limit)
            try await Self.expectMatchesFFprobe(remuxed)
        }
    }

    @Test("without sound, with the moov at the end, with a 60 fps picture")
    func moovAtTheEnd() async throws {
        try await withWork { work in
            let path = "\(work)/late-moov.mp4"
            _ = try await runTool(Programs.ffmpeg, [
                "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=60:duration=3",
                "-c:v", "libx264", "-preset", "ultrafast", "-g", "45", path,
            ], timeLimit: Self.limit)
            let index = try #require(MovieIndex.read(file: path))
            #expect(!index.hasAudio && index.video?.profile != nil)
            try await Self.expectMatchesFFprobe(path)
        }
    }

    @Test("boxes that do not add up are nil, not a guess")
    func malformed() throws {
        try withWork { work in
            #expect(MovieIndex.read(file: "\(work)/missing.mp4") == nil)
            let junk = "\(work)/junk.mp4"
            try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: URL(fileURLWithPath: junk))
            #expect(MovieIndex.read(file: junk) == nil)
        }
        // An stts that covers fewer samples than stsz counts; one that claims more entries than it holds.
        #expect(MovieIndex.runs([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 2, 0][...], count: 3, signed: false) == nil)
        #expect(MovieIndex.runs([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 2, 0][...], count: 3, signed: false)?.map(\.value) == [512])
        #expect(MovieIndex.runs([0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 3, 0, 0, 2, 0][...], count: 3, signed: false) == nil)
        // An stss naming a sample past the end.
        #expect(MovieIndex.syncSamples([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4][...], count: 3) == nil)
        #expect(MovieIndex.syncSamples([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3][...], count: 3) == [false, false, true])
        // A table claiming more entries than its bytes hold.
        #expect(MovieIndex.sampleSizes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1][...]) == nil)
    }

    @Test("read through byte ranges: a moov after the media data takes a few small reads, and says what the file says")
    func throughRanges() async throws {
        try await withWork { work in
            let path = "\(work)/late-moov.mp4"
            _ = try await runTool(Programs.ffmpeg, [
                "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=6",
                "-f", "lavfi", "-i", "sine=frequency=300:duration=6", "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-c:a", "aac", path,
            ], timeLimit: Self.limit)
            let media = RangeReadingMedia(path: path)
            let index = try #require(try await RenditionInfo.movieIndex(named: "any/rendition.mp4", media: media))
            #expect(index == MovieIndex.read(file: path))
            #expect(media.reads.withLock { $0 } <= 4, "\(media.reads.withLock { $0 }) reads")
            let info = try #require(RenditionInfo(index: index))
            let probed = try await RenditionInfo.probe(.file(path), around: 2.5, to: 4.5, timeLimit: Self.limit)
            #expect(info.hasAudio && abs(info.duration - probed.duration) < 0.0011 && info.stream.width == 640 && info.stream.height == 360)
            #expect(info.packets.keyframes.filter { $0 >= 1.5 && $0 <= 5.5 } == probed.packets.keyframes.filter { $0 >= 1.5 && $0 <= 5.5 })
            #expect(info.packets.count(from: 2, to: 4.5, frameDuration: 1.0 / 30) == probed.packets.count(from: 2, to: 4.5, frameDuration: 1.0 / 30))
            // No ranges (an access that cannot read them): nil, and the cut asks ffprobe.
            #expect(try await RenditionInfo.movieIndex(named: "any/rendition.mp4", media: FakeMedia()) == nil)
        }
    }

    @Test("hostile boxes: sums that would overflow, tables that claim millions of samples, a picture it cannot describe")
    func hostileBoxes() {
        // A well-formed movie of three samples reads: the first presentation at 0, 512 ticks apart.
        let sane = try? #require(MovieIndex.parse(movie: Movie.bytes(samples: 3)[...]))
        #expect(sane?.video?.times == [0, 0.04, 0.08] && sane?.video?.isKeyframe == [true, true, true])
        // Two empty edits of 2⁶⁴ − 1 ticks each.
        let emptyEdits = Movie.elst(version: 1, [(UInt64.max, -1), (UInt64.max, -1), (100, 0)])
        #expect(MovieIndex.parse(movie: Movie.bytes(samples: 3, elst: emptyEdits)[...]) == nil)
        // A media time of 2⁶³ − 1 and a composition offset of −2.
        let farEdit = Movie.elst(version: 1, [(100, Int64.max)])
        let negative = Movie.box("ctts", [0, 0, 0, 0] + Movie.be32(1) + Movie.be32(3) + Movie.be32(UInt32(bitPattern: -2)))
        #expect(MovieIndex.parse(movie: Movie.bytes(samples: 3, elst: farEdit, ctts: negative)[...]) == nil)
        // 130 bytes claiming 10 million samples of one size; two tracks of 3 million each.
        #expect(MovieIndex.parse(movie: Movie.bytes(samples: 10_000_000)[...]) == nil)
        #expect(MovieIndex.parse(movie: Movie.bytes(samples: 3_000_000, handler: "soun", tracks: 2)[...]) == nil)
        #expect(MovieIndex.parse(movie: Movie.bytes(samples: 3_000_000, handler: "soun", tracks: 1)[...])?.tracks.count == 1)
        // An HEVC picture beside AAC sound: not a file without a picture, but one for ffprobe.
        let hevc = MovieIndex(duration: 2, tracks: [
            .init(handler: "vide", timescale: 90000, mediaDuration: 180_000, sampleCount: 60, sampleBytes: 1000, sampleEntry: "hev1", width: 640, height: 360),
            .init(handler: "soun", timescale: 48000, mediaDuration: 96000, sampleCount: 94, sampleBytes: 1000, sampleEntry: "mp4a", channels: 2, sampleRate: 48000),
        ])
        #expect(MediaProbe(index: hevc) == nil)
        // 60 samples in one tick: no frame rate (ffprobe's parser keeps 1,000 at most); a rung of it
        // gets the default 25, and a picture of no size is not a rung at all.
        var absurd = hevc.tracks[0]
        absurd.mediaDuration = 1
        #expect(absurd.frameRate == nil && Packager.EncodedStream(index: absurd)?.frameRate == 25)
        absurd.width = 0
        #expect(Packager.EncodedStream(index: absurd) == nil)
        #expect(RenditionInfo(index: MovieIndex(duration: 2, tracks: [absurd])) == nil)
        #expect(MediaProbe(index: MovieIndex(duration: 2, tracks: [hevc.tracks[1]]))?.audio?.channels == 2)
    }

    /// The index of `path` says what ffprobe says.
    static func expectMatchesFFprobe(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let index = try #require(MovieIndex.read(file: path), sourceLocation: sourceLocation)
        let video = try #require(index.video, sourceLocation: sourceLocation)
        let packets = try await SmartCutTests.packets(path)
        #expect(video.times.count == packets.times.count, sourceLocation: sourceLocation)
        let apart = zip(video.times, packets.times).map { abs($0 - $1) }.max() ?? 1
        #expect(apart < 0.0000015, "presentation times differ by up to \(apart) s", sourceLocation: sourceLocation)
        let keyframes = zip(video.times, video.isKeyframe).filter(\.1).map(\.0)
        #expect(keyframes.count == packets.keyframes.count, sourceLocation: sourceLocation)
        #expect(zip(keyframes.sorted(), packets.keyframes).allSatisfy { abs($0 - $1) < 0.0000015 }, sourceLocation: sourceLocation)

        let data = try await runTool(Programs.ffprobe, [
            "-v", "error", "-of", "json", "-show_entries",
            "stream=codec_type,width,height,profile,level,bit_rate,avg_frame_rate,start_time,duration:format=duration", path,
        ], timeLimit: limit)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], sourceLocation: sourceLocation)
        let streams = object["streams"] as? [[String: Any]] ?? []
        let probed = Packager.EncodedStream(ffprobe: try #require(streams.first { $0["codec_type"] as? String == "video" }, sourceLocation: sourceLocation))
        let duration = ((object["format"] as? [String: Any])?["duration"] as? String).flatMap(Double.init) ?? -1
        #expect(abs(index.duration - duration) < 0.0011, "duration \(index.duration) against \(duration)", sourceLocation: sourceLocation)
        // Where the picture ends: ffprobe's picture stream start plus its duration.
        let picture = try #require(streams.first { $0["codec_type"] as? String == "video" }, sourceLocation: sourceLocation)
        let pictureEnd = ["start_time", "duration"].compactMap { (picture[$0] as? String).flatMap(Double.init) }.reduce(0, +)
        #expect(abs((video.presentationEnd ?? 0) - pictureEnd) < 0.0011, "picture ends \(video.presentationEnd ?? 0) against \(pictureEnd)")
        #expect(index.hasAudio == streams.contains { $0["codec_type"] as? String == "audio" }, sourceLocation: sourceLocation)
        #expect(video.width == probed.width && video.height == probed.height, sourceLocation: sourceLocation)
        #expect(video.profile == probed.profile && video.level == probed.level, sourceLocation: sourceLocation)
        let fps = video.frameRate ?? 0
        #expect(abs(fps - probed.frameRate) < 0.01, "\(fps) fps against \(probed.frameRate)", sourceLocation: sourceLocation)
        let rate = Double(video.bitRate ?? 0), probedRate = Double(probed.bitRate ?? -1)
        #expect(abs(rate - probedRate) <= probedRate * 0.002, "\(rate) bit/s against \(probedRate)", sourceLocation: sourceLocation)
        let stored = try await Packager.inspect(path, timeLimit: limit)
        #expect(stored.width == probed.width && stored.height == probed.height && stored.bitRate == video.bitRate && stored.level == probed.level)

        // As a whole file: what the upload policy checks and the packager reads.
        let whole = try MediaProbe(ffprobeJSON: try await runTool(
            Programs.ffprobe, ["-v", "error", "-of", "json", "-show_format", "-show_streams", path], timeLimit: limit))
        let read = try #require(MediaProbe(index: index), sourceLocation: sourceLocation)
        #expect(abs(read.duration - whole.duration) < 0.0011 && read.streamCount == whole.streamCount, sourceLocation: sourceLocation)
        #expect(read.video?.codec == whole.video?.codec && read.video?.width == whole.video?.width, sourceLocation: sourceLocation)
        #expect(read.video?.height == whole.video?.height && abs((read.video?.frameRate ?? 0) - (whole.video?.frameRate ?? -1)) < 0.01)
        #expect(read.audio?.codec == whole.audio?.codec && read.audio?.channels == whole.audio?.channels, sourceLocation: sourceLocation)
        #expect(read.audio?.sampleRate == whole.audio?.sampleRate, sourceLocation: sourceLocation)
    }

    private func withWork<T>(_ body: (String) async throws -> T) async throws -> T {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("movieindex-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        return try await body(work)
    }

    private func withWork<T>(_ body: (String) throws -> T) throws -> T {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("movieindex-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        return try body(work)
    }
}

/// Serves one local file's byte ranges as upload-service's internal media route does, counting reads.
final class RangeReadingMedia: MediaAccess {
    let path: String
    let reads = Mutex(0)
    init(path: String) { self.path = path }

    func readMedia(named name: String, bytes range: Range<Int>) async throws -> (bytes: [UInt8], length: Int)? {
        reads.withLock { $0 += 1 }
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        guard range.lowerBound < data.count else { return nil }
        return (Array(data[range.lowerBound..<min(data.count, range.upperBound)]), data.count)
    }

    func video(_ id: VideoID) async throws -> VideoSnapshot? { nil }
    func downloadSource(_ video: VideoSnapshot, to path: String) async throws {}
    func store(_ path: String, as name: String, videoId: VideoID, metadata: [String: String]) async throws -> Int { 0 }
    func store(bytes: [UInt8], as name: String, videoId: VideoID) async throws {}
    func downloadMedia(named name: String, to path: String) async throws -> Bool { false }
    func deleteMedia(of videoId: VideoID) async throws {}
}

/// A minimal `moov` built box by box, for the hostile cases.
enum Movie {
    static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func be64(_ value: UInt64) -> [UInt8] { be32(UInt32(value >> 32)) + be32(UInt32(value & 0xFFFF_FFFF)) }

    static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] { be32(UInt32(8 + payload.count)) + Array(type.utf8) + payload }

    /// `elst` entries of (duration, media time); media time −1 is an empty edit.
    static func elst(version: UInt8, _ entries: [(UInt64, Int64)]) -> [UInt8] {
        var body: [UInt8] = [version, 0, 0, 0] + be32(UInt32(entries.count))
        for (duration, time) in entries {
            body += version == 1 ? be64(duration) + be64(UInt64(bitPattern: time)) : be32(UInt32(duration)) + be32(UInt32(truncatingIfNeeded: time))
            body += be32(0x0001_0000)
        }
        return box("elst", body)
    }

    /// `tracks` tracks of `samples` samples of 100 bytes, 512 ticks apart at 12,800 per second.
    static func bytes(samples: UInt32, elst: [UInt8]? = nil, ctts: [UInt8]? = nil, handler: String = "vide", tracks: Int = 1) -> [UInt8] {
        let mvhd = box("mvhd", [0, 0, 0, 0] + be32(0) + be32(0) + be32(1000) + be32(samples / 25 * 1000) + [UInt8](repeating: 0, count: 80))
        let mdhd = box("mdhd", [0, 0, 0, 0] + be32(0) + be32(0) + be32(12800) + be32(samples &* 512) + be32(0))
        let hdlr = box("hdlr", [0, 0, 0, 0] + be32(0) + Array(handler.utf8) + [UInt8](repeating: 0, count: 13))
        var entry = [UInt8](repeating: 0, count: 78)
        entry[24...27] = [2, 128, 1, 104][...]  // 640 × 360
        let stsd = box("stsd", [0, 0, 0, 0] + be32(1) + box("avc1", entry))
        let stts = box("stts", [0, 0, 0, 0] + be32(1) + be32(samples) + be32(512))
        let stsz = box("stsz", [0, 0, 0, 0] + be32(100) + be32(samples))
        let stbl = box("stbl", stsd + stts + (ctts ?? []) + stsz)
        let trak = box("trak", (elst.map { box("edts", $0) } ?? []) + box("mdia", mdhd + hdlr + box("minf", stbl)))
        return mvhd + Array([[UInt8]](repeating: trak, count: tracks).joined())
    }
}
