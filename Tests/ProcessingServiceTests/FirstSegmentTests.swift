import Foundation
import Testing
import Transcoder

@testable import ProcessingService

@Suite("The ladder's short first segment: a video that must be encoded plays after 1 s of picture, not 2")
struct FirstSegmentTests {
    @Test("every rung opens with a 1 s segment, then 2 s ones; keyframes at 0, 1, 2, 4… s in every rung; the joined rungs decode whole")
    func shortFirstSegment() async throws {
        let source = try await makeSource("first.mp4", video: "testsrc2=size=1280x720:rate=30", seconds: 7, tone: true)
        let probe = try MediaProbe(ffprobeJSON: Data(try await run("/usr/bin/ffprobe", [
            "-v", "error", "-of", "json", "-show_format", "-show_streams", source,
        ]).utf8))
        let rungs = Ladder.rungs(for: probe).filter { $0.name == "720p" || $0.name == "360p" }.map { rung -> Rung in
            var encoded = rung
            encoded.isRemux = false
            return encoded
        }
        #expect(rungs.count == 2)
        var options = EncodingOptions(threadsPerEncoder: 2)
        options.firstKeyframeSeconds = HLSSegmenting.firstSegmentSeconds
        let work = scratchFile("ladder")
        let command = LadderCommand(
            source: .file(source), probe: probe, rungs: rungs, outputDirectory: work, options: options,
            hlsSegmentSeconds: HLSSegmenting.segmentSeconds)
        for directory in command.outputs.values { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        _ = try await run("/usr/bin/ffmpeg", command.arguments)

        for rung in rungs {
            let directory = try #require(command.outputs[rung.name])
            let playlist = HLSMediaPlaylist.parse(try String(contentsOfFile: "\(directory)/index.m3u8", encoding: .utf8))
            let durations = playlist.segments.map { ($0.duration * 10).rounded() / 10 }
            #expect(durations == [1, 1, 2, 2, 1], "\(rung.name): \(durations)")
            let joined = scratchFile("\(rung.name).mp4")
            try Packager.join(playlist, in: directory, to: joined)
            // Joined fMP4 segments start the picture after the sound's priming: times from the first.
            let times = try await keyframes(joined)
            #expect(times.map { $0 - (times.first ?? 0) } == [0, 1000, 2000, 4000, 6000], "\(rung.name): \(times)")
            let frames = try await run("/usr/bin/ffprobe", [
                "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", joined,
            ])
            #expect(frames.trimmingCharacters(in: .whitespacesAndNewlines) == "210", "\(rung.name)")
        }
    }
}
