import Foundation
import Testing
import Transcoder

@testable import ProcessingService

@Suite("Where a rung's picture starts, from its fMP4 boxes, as ffprobe sees it")
struct FragmentTimingTests {
    /// Segments of `source` the way the ladder writes them (`copy`: cut by stream copy).
    static func segments(_ source: String, copy: Bool, audio: Bool) async throws -> (directory: String, playlist: HLSMediaPlaylist) {
        let directory = scratchFile("hls")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if copy {
            try await run("/usr/bin/ffmpeg", HLSSegmenting.copy(source: .file(source), hasAudio: audio, directory: directory))
        } else {
            try await run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", source, "-c:v", "libx264", "-preset", "veryfast",
                "-force_key_frames", "expr:gte(t,n_forced*2)"] + (audio ? ["-c:a", "aac"] : ["-an"]) + HLSSegmenting.output(directory: directory))
        }
        return (directory, HLSMediaPlaylist.parse(try String(contentsOfFile: "\(directory)/index.m3u8", encoding: .utf8)))
    }

    @Test("encoded with sound, copied with B-frames, without sound: the boxes say what ffprobe says; garbage says nothing")
    func agreesWithFFprobe() async throws {
        let withSound = try await makeSource(
            "b.mp4", video: "testsrc2=size=320x180:rate=30", seconds: 5, tone: true,
            codec: ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-sc_threshold", "0"])
        let silent = try await makeSource("s.mp4", video: "testsrc2=size=320x180:rate=25", seconds: 4)
        var delays: [Double] = []
        for (source, copy, audio) in [(withSound, false, true), (withSound, true, true), (silent, false, false)] {
            let (directory, playlist) = try await Self.segments(source, copy: copy, audio: audio)
            let joined = scratchFile("joined.mp4")
            try Packager.join(playlist, in: directory, to: joined)
            let boxes = try #require(FragmentTiming.pictureDelay(
                initSegment: [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/init.mp4"))),
                firstSegment: [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(playlist.segments[0].uri)")))))
            let probed = try await Packager.pictureStart(joined, timeLimit: .seconds(30))
            #expect(abs(boxes - probed) < 0.0005, "copy \(copy), audio \(audio): boxes \(boxes), ffprobe \(probed)")
            delays.append(boxes)
        }
        #expect(delays[0] > 0.01 && delays[1] > 0.01, "the AAC priming moves the picture: \(delays)")
        #expect(FragmentTiming.pictureDelay(initSegment: Array(repeating: 0xff, count: 64), firstSegment: [0, 0, 0, 9]) == nil)
        #expect(FragmentTiming.pictureDelay(initSegment: [], firstSegment: []) == nil)
    }
}
