import ClipCutCore
import Foundation
import Testing
import Transcoder

@testable import ProcessingService

/// Smart cuts of renditions whose sound and picture do not start and end together (real
/// ffmpeg): a sound that begins after the picture, one that runs on past it, one that ends
/// before the range; and a range whose ends fall between frames. The picture is 6 s at 30 fps
/// (or 29.97) with a keyframe every 60 frames.
@Suite("Smart cut: sound and picture apart, ranges between frames (real ffmpeg)", .serialized)
struct SmartCutTimelineTests {
    static let rung = SmartCutTests.rungs[1]
    static let limit = SmartCutTests.limit

    @Test("a sound that starts 0.7 s after the picture keeps its place in the clip (no shift to the clip's start)")
    func lateSound() async throws {
        try await withWork { work in
            // The sound track itself starts late (an empty edit), not with silent samples.
            let rendition = try await Self.rendition(sound: "atrim=end=5.3", soundStart: 0.7, at: "\(work)/late.mp4")
            #expect(try await Self.streamStart(rendition, stream: "a:0") > 0.6)
            #expect(try await Self.onset(rendition).map { abs($0 - 0.7) < 0.03 } == true)
            let (clip, outcome) = try await Self.cut(rendition, from: 0.2, to: 4.0, work: work)
            #expect(outcome.plan.pieces == [.encode(from: 0.2, to: 2), .copy(from: 2, to: 4)])
            // The tone starts 0.5 s into the clip, as it did 0.5 s after 0.2 s in the rendition.
            let onset = try #require(try await Self.onset(clip))
            #expect(abs(onset - 0.5) < 0.03, "the tone starts at \(onset) s")
            #expect(abs(try await Self.streamStart(clip, stream: "a:0")) < 0.01)
            #expect(abs(try await SmartCutTests.streamDuration(clip, stream: "a:0") - 3.8) < 0.05)
        }
    }

    @Test("a sound that runs on past the picture: a range to the picture's end (or past it) is copied, nothing encoded")
    func longerSound() async throws {
        try await withWork { work in
            let rendition = try await Self.rendition(sound: "atrim=end=6.4", at: "\(work)/longer.mp4")
            let index = try #require(MovieIndex.read(file: rendition))
            #expect(index.duration > 6.3)
            let info = try #require(RenditionInfo(index: index))
            let probed = try await RenditionInfo.probe(.file(rendition), around: 4, to: 6, timeLimit: Self.limit)
            #expect(abs(info.duration - 6) < 0.001 && abs(probed.duration - 6) < 0.001, "\(info.duration), \(probed.duration)")
            for to in [6.0, 6.4] {
                let (clip, outcome) = try await Self.cut(rendition, from: 4, to: to, work: "\(work)/\(to)")
                #expect(outcome.plan.pieces == [.copy(from: 4, to: 6)] && outcome.encodedSeconds == 0, "\(outcome)")
                #expect(try await SmartCutTests.packets(clip).times.count == 60)
            }
        }
    }

    @Test("a range that starts where the picture has ended fails for good, saying so")
    func pastThePicture() async throws {
        try await withWork { work in
            let rendition = try await Self.rendition(sound: "apad=whole_dur=9", at: "\(work)/sound-on.mp4")
            do {
                _ = try await Self.cut(rendition, from: 6.5, to: 8.5, work: work)
                Issue.record("a clip without a picture was made")
            } catch JobFailure.permanent(let reason) {
                #expect(reason.contains("picture has ended (at 6.00 s)"), "\(reason)")
            }
        }
    }

    @Test("a range after the sound has ended: a clip without a sound track that plays, not a failed join")
    func soundEndedBefore() async throws {
        try await withWork { work in
            let rendition = try await Self.rendition(sound: "atrim=end=3", at: "\(work)/short-sound.mp4")
            let (clip, outcome) = try await Self.cut(rendition, from: 4, to: 6, work: work)
            #expect(outcome.plan.pieces == [.copy(from: 4, to: 6)])
            let index = try #require(MovieIndex.read(file: clip))
            #expect(!index.hasAudio && index.video?.sampleCount == 60)
            _ = try await runTool(Programs.ffmpeg, ["-v", "error", "-xerror", "-i", clip, "-f", "null", "-"], timeLimit: Self.limit)
        }
    }

    @Test("a range off the frame grid (29.97 fps, from 1.7 s): exactly the frames in it, none twice where an edge meets the copy")
    func offTheFrameGrid() async throws {
        try await withWork { work in
            let (clip, outcome, expected) = try await Self.cutNTSC(from: 1.7, to: 5.9, work: work)
            #expect(outcome.plan.pieces.first == .encode(from: 1.7, to: 2.002))
            let tailFrom = Self.expectCopiedTail(outcome.plan.pieces.dropFirst(), keyframes: (2.002, 4.004), to: 5.9)
            #expect(expected.count == 126)  // frames 51 to 176
            let packets = try await SmartCutTests.packets(clip)
            #expect(packets.times.count == expected.count, "\(packets.times.count) frames")
            // Each frame 1001/30000 s after the last, where the pieces meet too (not a millisecond off).
            let times = packets.times.sorted()
            let steps = zip(times.dropFirst(), times).map { $0 - $1 }
            #expect(steps.allSatisfy { abs($0 - 1001.0 / 30000) < 0.0001 }, "\(steps.filter { abs($0 - 1001.0 / 30000) >= 0.0001 })")
            // The copied keyframes sit where they were, counted from the clip's first frame; the
            // encoded tail's own keyframe, if there is one, where it begins.
            let first = try #require(expected.min())
            #expect(packets.keyframes.count == (tailFrom == nil ? 3 : 4), "\(packets.keyframes)")
            for (cut, original) in zip(packets.keyframes.dropFirst(), [2.002, 4.004] + (tailFrom.map { [$0] } ?? [])) {
                #expect(abs(cut - (original - first)) < 0.001, "a keyframe at \(cut) s, not \(original - first) s")
            }
        }
    }

    @Test("a copy whose range starts just after its keyframe (within half a frame) keeps that keyframe: every frame decodes")
    func copyJustAfterItsKeyframe() async throws {
        try await withWork { work in
            let (clip, outcome, expected) = try await Self.cutNTSC(from: 2.010, to: 5.9, work: work)
            Self.expectCopiedTail(outcome.plan.pieces[...], keyframes: (2.010, 4.004), to: 5.9)
            #expect(expected.count == 117)
            #expect(try await Self.decodedFrames(clip) == expected.count)
        }
    }

    /// Expects `pieces` to be a copy from `keyframes.from` on, past the last keyframe (its frames
    /// that reference nothing past the range copied too), then the tail encoded from there to
    /// `to` unless the copy reaches it; returns where that tail begins.
    @discardableResult
    static func expectCopiedTail(_ pieces: ArraySlice<SmartCutPlan.Piece>, keyframes: (from: Double, last: Double), to: Double) -> Double? {
        guard case .copy(let from, let copyEnd)? = pieces.first else {
            Issue.record("no copy first: \(pieces)")
            return nil
        }
        #expect(from == keyframes.from && copyEnd > keyframes.last + 0.001, "\(pieces)")
        if copyEnd == to { #expect(pieces.count == 1, "\(pieces)"); return nil }
        #expect(Array(pieces.dropFirst()) == [.encode(from: copyEnd, to: to)], "\(pieces)")
        return copyEnd
    }

    /// `[from, to)` cut from a 29.97 fps rendition (a keyframe every 2.002 s), and the times of
    /// the rendition's frames in that range (half a frame of tolerance): what the clip must hold.
    static func cutNTSC(from: Double, to: Double, work: String) async throws -> (clip: String, outcome: SmartCut.Outcome, expected: [Double]) {
        let rendition = try await rendition(sound: "atrim=end=6", rate: "30000/1001", at: "\(work)/ntsc.mp4")
        let frame = 1001.0 / 30000
        let index = try #require(MovieIndex.read(file: rendition)?.video)
        let (clip, outcome) = try await cut(rendition, from: from, to: to, work: work)
        return (clip, outcome, index.times.filter { $0 >= from - frame / 2 && $0 < to - frame / 2 })
    }

    @Test("a variable-rate rendition (frames 1/60 and 3/60 s apart): each encoded edge holds its frames and lasts as long as they do")
    func variableFrameRate() async throws {
        try await withWork { work in
            let rendition = try await Self.rendition(
                sound: "atrim=end=6", picture: ["-vf", "settb=1/60,setpts=floor(N/2)*4+mod(N\\,2)", "-fps_mode", "passthrough", "-enc_time_base", "1/60"],
                at: "\(work)/vfr.mp4")
            // The index reads it as ffprobe does, where its picture ends included.
            try await MovieIndexTests.expectMatchesFFprobe(rendition)
            let index = try #require(MovieIndex.read(file: rendition)?.video)
            let gaps = Set(zip(index.times.sorted().dropFirst(), index.times.sorted()).map { (($0 - $1) * 60).rounded() })
            #expect(gaps == [1, 3], "\(gaps)")
            let (clip, outcome) = try await Self.cut(rendition, from: 0.5, to: 5.5, work: work)
            let expected = index.times.filter { $0 >= 0.5 - 1.0 / 60 && $0 < 5.5 - 1.0 / 60 }
            let packets = try await SmartCutTests.packets(clip)
            #expect(packets.times.count == expected.count, "\(packets.times.count) frames, \(outcome.plan)")
            let picture = try await SmartCutTests.streamDuration(clip, stream: "v:0")
            #expect(abs(picture - 5) < 0.06, "the picture lasts \(picture) s, \(outcome.plan)")
        }
    }

    @Test("the no-picture check holds for every rung: a 5 fps rung whose last frame is gone while a 30 fps rung's is not")
    func noPictureInOneRung() async throws {
        func info(rate: String) throws -> RenditionInfo {
            try RenditionInfo.parse(Data("""
                {"streams": [{"index": 0, "codec_type": "video", "width": 320, "height": 180, "avg_frame_rate": "\(rate)", "duration": "6.000000"}],
                 "format": {"duration": "6.000000"}, "packets": [{"stream_index": 0, "pts_time": "4.000000", "flags": "K_"}]}
                """.utf8))
        }
        var still = Self.rung
        still.frameRate = 5
        let cuts = [
            SmartCut.Cut(rung: Self.rung, rendition: .file("/nonexistent/a.mp4"), info: try info(rate: "30/1"), directory: "/nonexistent", output: "/nonexistent/a"),
            SmartCut.Cut(rung: still, rendition: .file("/nonexistent/b.mp4"), info: try info(rate: "5/1"), directory: "/nonexistent", output: "/nonexistent/b"),
        ]
        do {
            _ = try await SmartCut(options: EncodingOptions(), timeLimit: Self.limit).run(cuts, from: 5.95, to: 7)
            Issue.record("cut without a picture in one rung")
        } catch JobFailure.permanent(let reason) {
            #expect(reason.contains("picture has ended (at 6.00 s)"), "\(reason)")
        }
    }

    private func withWork(_ body: (String) async throws -> Void) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartcut-timeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try await body(work)
    }

    /// A 6 s rendition made as the ladder makes one, with a tone shaped by `sound` (a filter on
    /// a 10 s sine) whose track starts at `soundStart`; `picture`: more options for the picture.
    static func rendition(
        sound: String, soundStart: Double = 0, rate: String = "30", picture: [String] = [], at path: String
    ) async throws -> String {
        _ = try await runTool(Programs.ffmpeg, [
            "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=\(rung.width)x\(rung.height):rate=\(rate):duration=6",
            "-itsoffset", String(soundStart), "-f", "lavfi", "-i", "sine=frequency=440:duration=10", "-filter_complex", "[1:a]\(sound)[a]", "-map", "0:v", "-map", "[a]",
        ] + picture + [
            "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", "60", "-keyint_min", "60",
            "-sc_threshold", "0", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart", path,
        ], timeLimit: limit)
        return path
    }

    /// Cuts `[from, to)` of `rendition` (read from its `moov`, as a clip reads it) into `work`.
    static func cut(_ rendition: String, from: Double, to: Double, work: String) async throws -> (clip: String, outcome: SmartCut.Outcome) {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let info = try #require(MovieIndex.read(file: rendition).flatMap(RenditionInfo.init(index:)))
        let cut = SmartCut.Cut(rung: rung, rendition: .file(rendition), info: info, directory: work, output: "\(work)/clip.mp4")
        let outcome = try #require(try await SmartCut(options: EncodingOptions(), timeLimit: limit).run([cut], from: from, to: to).outcomes.first)
        return ("\(work)/clip.mp4", outcome)
    }

    /// How many frames of the first video stream ffmpeg decodes.
    static func decodedFrames(_ path: String) async throws -> Int {
        let output = try await runTool(Programs.ffprobe, [
            "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path,
        ], timeLimit: limit)
        return Int(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Where `stream` starts (ffprobe's `start_time`).
    static func streamStart(_ path: String, stream: String) async throws -> Double {
        let output = try await runTool(
            Programs.ffprobe, ["-v", "error", "-select_streams", stream, "-show_entries", "stream=start_time", "-of", "csv=p=0", path],
            timeLimit: limit)
        return Double(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Where the first audio track's sound begins, as the player presents it: the end of the
    /// silence at its start (`silencedetect`, from time 0 of the file), 0 without one.
    static func onset(_ path: String) async throws -> Double? {
        let output = try await runTool(Programs.ffmpeg, [
            "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0",
            "-af", "aresample=async=1:first_pts=0,silencedetect=n=-50dB:d=0.05,ametadata=mode=print:file=-", "-f", "null", "-",
        ], timeLimit: limit)
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
        guard lines.contains(where: { $0 == "lavfi.silence_start=0" }) else { return 0 }
        return lines.first { $0.hasPrefix("lavfi.silence_end=") }.flatMap { Double($0.dropFirst("lavfi.silence_end=".count)) }
    }
}
