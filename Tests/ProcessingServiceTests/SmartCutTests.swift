import ClipCutCore
import Foundation
import Testing
import Transcoder

@testable import ProcessingService

/// Smart cuts with real ffmpeg on two rungs made like the ladder's (30 fps, a keyframe every
/// 2 s): copied middles (and the tail's frames before its encode) are the rendition's own
/// packets, the joined clips decode without an error, their timestamps run on frame by frame,
/// and both rungs keep their keyframes together.
@Suite("Smart cut of renditions (real ffmpeg)", .serialized)
struct SmartCutTests {
    static let rungs = [
        Rung(name: "360p", width: 640, height: 360, maxRate: 800_000, bufferSize: 1_600_000, frameRate: 30, isRemux: false),
        Rung(name: "180p", width: 320, height: 180, maxRate: 400_000, bufferSize: 800_000, frameRate: 30, isRemux: false),
    ]
    static let limit = Duration.seconds(120)

    /// The range, and which kinds of piece the plan must have (`e` encode, `c` copy).
    static let cases: [(from: Double, to: Double, pieces: String)] = [
        (4, 10, "c"),  // keyframe to keyframe: nothing encoded
        (3.3, 9.5, "ece"),  // inside GOPs at both ends
        (4.5, 5.7, "e"),  // within one GOP
        (0, 3.3, "ce"),  // the very start
        (9.5, 12, "ec"),  // to the very end
    ]

    @Test("ranges on keyframes, inside GOPs, within one GOP, at the start and at the end")
    func cuts() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartcut-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var renditions: [String] = []
        for rung in Self.rungs {
            let path = "\(work)/\(rung.name).mp4"
            try await Self.makeRendition(rung, at: path)
            renditions.append(path)
        }
        for (index, range) in Self.cases.enumerated() {
            var keyframesByRung: [[Double]] = []
            var firstClip: String?  // the first rung's pieces run encodes the sound, both copy it
            var cuts: [SmartCut.Cut] = []
            for (rung, rendition) in zip(Self.rungs, renditions) {
                let directory = "\(work)/\(index)-\(rung.name)", hls = "\(directory)/hls"
                try FileManager.default.createDirectory(atPath: hls, withIntermediateDirectories: true)
                let info = try await RenditionInfo.probe(.file(rendition), around: range.from, to: range.to, timeLimit: Self.limit)
                #expect(info.hasAudio && abs(info.duration - 12) < 0.1 && info.stream.width == rung.width, "\(info)")
                cuts.append(SmartCut.Cut(
                    rung: rung, rendition: .file(rendition), info: info, directory: directory, output: "\(directory)/clip.mp4", hlsDirectory: hls))
            }
            // Both rungs in one pieces run and one joining run.
            let (outcomes, sound) = try await SmartCut(options: EncodingOptions(), timeLimit: Self.limit).run(cuts, from: range.from, to: range.to)
            #expect(sound == "\(work)/\(index)-\(Self.rungs[0].name)/sound.m4a", "\(range)")
            for (cut, outcome) in zip(cuts, outcomes) {
                let rung = cut.rung, directory = cut.directory, clip = cut.output, hls = cut.hlsDirectory ?? ""
                guard case .file(let rendition) = cut.rendition else { continue }
                let kinds = outcome.plan.pieces.map { if case .copy = $0 { "c" } else { "e" } }.joined()
                // A tail is copied whole when the frame before the range's end is a P-frame in both rungs.
                let tailCopied = kinds + "e" == range.pieces && outcome.plan.pieces.last?.to == range.to
                #expect(kinds == range.pieces || tailCopied, "\(range): \(outcome.plan.pieces)")

                // Decodes without a single error (-xerror: the first one fails the run).
                _ = try await runTool(Programs.ffmpeg, ["-v", "error", "-xerror", "-i", clip, "-f", "null", "-"], timeLimit: Self.limit)
                let packets = try await Self.packets(clip)
                let expectedFrames = Int(((range.to - range.from) * 30).rounded())
                #expect(packets.times.count == expectedFrames, "\(range) \(rung.name): \(packets.times.count) frames")
                let steps = zip(packets.times.sorted().dropFirst(), packets.times.sorted()).map { $0 - $1 }
                // Every frame exactly one frame after the last (the rendition's 1/15360 s ticks), where pieces meet too.
                #expect(steps.allSatisfy { abs($0 - 1.0 / 30) < 0.0001 }, "\(range) \(rung.name): timestamps jump, \(steps.filter { abs($0 - 1.0 / 30) >= 0.0001 })")
                #expect(packets.times.min() == 0 && packets.keyframes.first == 0)
                let audio = try await Self.streamDuration(clip, stream: "a:0")
                #expect(abs(audio - (range.to - range.from)) < 0.05, "\(range) \(rung.name): audio \(audio) s")
                keyframesByRung.append(packets.keyframes)
                if let firstClip {
                    #expect(try await Self.soundHash(clip) == Self.soundHash(firstClip), "\(range) \(rung.name): the sound was not copied")
                    #expect(try await Self.soundHash(clip) != Self.soundHash(rendition), "\(range) \(rung.name): the rendition's own sound")
                }
                firstClip = firstClip ?? clip
                // The joining run wrote the HLS too: its segments, joined, hold the same frames and decode cleanly.
                let playlist = HLSMediaPlaylist.parse(try String(contentsOfFile: "\(hls)/index.m3u8", encoding: .utf8))
                #expect(playlist.ended && !playlist.segments.isEmpty, "\(range) \(rung.name): \(playlist)")
                let joined = "\(directory)/hls-joined.mp4"
                try Packager.join(playlist, in: hls, to: joined)
                _ = try await runTool(Programs.ffmpeg, ["-v", "error", "-xerror", "-i", joined, "-f", "null", "-"], timeLimit: Self.limit)
                #expect(try await Self.packets(joined).times.count == packets.times.count, "\(range) \(rung.name): HLS frames")
                // Joined packet for packet: the clip declares the rendition's own SPS and PPS.
                let record = try #require(AVCConfiguration.record(inFile: rendition))
                #expect(AVCConfiguration.record(inFile: clip) == record, "\(range) \(rung.name): parameter sets differ")

                // The whole clip, edges encoded with the cheaper analysis included, looks like the rendition.
                let similarity = try await Self.ssim(clip, against: rendition, from: range.from, seconds: range.to - range.from)
                #expect(similarity > 0.98, "\(range) \(rung.name): SSIM \(similarity)")

                // The copied middle: the rendition's packets, byte for byte.
                for piece in outcome.plan.pieces {
                    guard case .copy(let a, let b) = piece else { continue }
                    let count = try await Self.packets(rendition).count(from: a, to: b, frameDuration: 1.0 / 30)
                    let source = try await Self.packetHashes(rendition, seek: a, count: count)
                    let cut = Set(try await Self.packetHashes(clip, seek: nil, count: nil))
                    #expect(source.count == count && source.allSatisfy(cut.contains), "\(range) \(rung.name): copied packets changed")
                }
                try await Self.expectCopiedFramesDecodeAsTheRendition(clip, rendition: rendition, plan: outcome.plan, from: range.from, frames: expectedFrames)
            }
            #expect(keyframesByRung[0] == keyframesByRung[1], "\(range): rungs' keyframes apart")
        }
    }

    @Test("a tail's frames before its last anchor that every rung shares are copied, the rest encoded from a keyframe of their own")
    func copiedTail() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartcut-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // Fixed B-frame decisions (I B B B P …) in both rungs: a P every 4 frames from each keyframe.
        var cuts: [SmartCut.Cut] = []
        for rung in Self.rungs {
            let rendition = "\(work)/\(rung.name).mp4", directory = "\(work)/\(rung.name)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try await Self.makeRendition(rung, at: rendition, x264: "b-adapt=0")
            let index = try #require(MovieIndex.read(file: rendition))
            let info = try #require(RenditionInfo(index: index))
            cuts.append(SmartCut.Cut(rung: rung, rendition: .file(rendition), info: info, directory: directory, output: "\(directory)/clip.mp4"))
        }
        // To 7.45 s: frames 99 to 222. The last GOP (from frame 180) has a P at 220; frames 221
        // and 222 are B-frames that reference the P at 224, past the range.
        let (outcomes, _) = try await SmartCut(options: EncodingOptions(), timeLimit: Self.limit).run(cuts, from: 3.3, to: 7.45)
        let split = 221.0 / 30
        for (cut, outcome) in zip(cuts, outcomes) {
            let pieces = outcome.plan.pieces
            #expect(pieces.count == 3 && pieces[0] == .encode(from: 3.3, to: 4) && pieces[1].from == 4, "\(pieces)")
            #expect(abs(pieces[1].to - split) < 1e-6 && pieces[2].from == pieces[1].to && pieces[2].to == 7.45, "\(pieces)")
            #expect(abs(outcome.encodedSeconds - (0.7 + 7.45 - split)) < 1e-6)
            guard case .file(let rendition) = cut.rendition else { continue }
            let packets = try await Self.packets(cut.output)
            #expect(packets.times.count == 124)
            // Keyframes: the head's, the copied two, and the encoded tail's own (the same in both rungs).
            let expected = [0, 0.7, 2.7, split - 3.3]
            #expect(packets.keyframes.count == 4 && zip(packets.keyframes, expected).allSatisfy { abs($0 - $1) < 0.0001 }, "\(packets.keyframes)")
            try await Self.expectCopiedFramesDecodeAsTheRendition(cut.output, rendition: rendition, plan: outcome.plan, from: 3.3, frames: 124)
        }
    }

    /// Expects every frame of `plan`'s copied pieces to decode in `clip` to the very pixels the
    /// rendition's frame at the same time decodes to (`framemd5` of the decoded pictures): a
    /// copied frame that still referenced a frame left out would decode otherwise, or not at all.
    static func expectCopiedFramesDecodeAsTheRendition(_ clip: String, rendition: String, plan: SmartCutPlan, from: Double, frames: Int) async throws {
        let cut = try await packetHashes(clip, seek: nil, count: nil, decoded: true)
        let source = try await packetHashes(rendition, seek: from, count: frames, decoded: true)
        #expect(cut.count == frames && source.count == frames, "\(cut.count) and \(source.count) frames decoded")
        for piece in plan.pieces {
            guard case .copy(let a, let b) = piece else { continue }
            let indices = Int(((a - from) * 30).rounded())..<min(frames, Int(((b - from) * 30).rounded()))
            let same = indices.filter { $0 < cut.count && $0 < source.count && cut[$0] == source[$0] }
            #expect(same.count == indices.count, "copied frames \(indices): \(indices.count - same.count) decode otherwise")
        }
    }


    @Test("one ffprobe of a rendition: its picture, sound and length, and only the video packets around the range (the keyframes and counts a cut needs)")
    func windowedListing() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartcut-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let rendition = "\(work)/360p.mp4"
        try await Self.makeRendition(Self.rungs[0], at: rendition)
        let whole = try await Self.packets(rendition)
        let info = try await RenditionInfo.probe(.file(rendition), around: 5.3, to: 6.5, timeLimit: Self.limit)
        let window = info.packets
        #expect(whole.times.count == 360)
        #expect(info.hasAudio && info.stream.width == 640 && info.stream.height == 360 && abs(info.duration - 12) < 0.1, "\(info)")
        #expect(window.times.count < 200, "\(window.times.count) packets listed")
        #expect((window.times.min() ?? 0) >= 4 - 0.001 && (window.times.max() ?? 0) <= 8, "\(window.times.min() ?? -1)...\(window.times.max() ?? -1)")
        #expect(window.keyframes.contains(6))
        #expect(window.count(from: 6, to: 6.5, frameDuration: 1.0 / 30) == whole.count(from: 6, to: 6.5, frameDuration: 1.0 / 30))
    }

    @Test("a rendition whose parameter sets the rung's encoder does not make (a copied phone rung): the whole range is encoded, and plays")
    func foreignParameterSets() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartcut-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let rung = Self.rungs[1], rendition = "\(work)/phone.mp4", clip = "\(work)/clip.mp4"
        // ultrafast: no CABAC, other PPS than the rung's veryfast encode.
        _ = try await runTool(Programs.ffmpeg, [
            "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=\(rung.width)x\(rung.height):rate=30:duration=8",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p", "-movflags", "+faststart", rendition,
        ], timeLimit: Self.limit)
        let info = try await RenditionInfo.probe(.file(rendition), around: 1.5, to: 5.5, timeLimit: Self.limit)
        #expect(!info.hasAudio)
        let cut = SmartCut.Cut(rung: rung, rendition: .file(rendition), info: info, directory: work, output: clip)
        let outcome = try #require(try await SmartCut(options: EncodingOptions(), timeLimit: Self.limit).run([cut], from: 1.5, to: 5.5).outcomes.first)
        #expect(outcome.plan.pieces == [.encode(from: 1.5, to: 5.5)])
        #expect(abs(outcome.encodedSeconds - 4) < 0.001)
        _ = try await runTool(Programs.ffmpeg, ["-v", "error", "-xerror", "-i", clip, "-f", "null", "-"], timeLimit: Self.limit)
        #expect(abs(try await Self.packets(clip).times.count - 120) <= 1)
    }

    @Test("a cut's encoders share the cores as the ladder's do, unless threads are configured")
    func encoderThreads() {
        // Two rungs' edges (four encoders) in one run; one whole encode; a configured count kept.
        #expect(SmartCut.options(EncodingOptions(), encoders: 4, cores: 2).threadsPerEncoder == 2)
        #expect(SmartCut.options(EncodingOptions(), encoders: 2, cores: 8).threadsPerEncoder == 4)
        #expect(SmartCut.options(EncodingOptions(), encoders: 1, cores: 8).threadsPerEncoder == 8)
        #expect(SmartCut.options(EncodingOptions(threadsPerEncoder: 3), encoders: 2, cores: 8).threadsPerEncoder == 3)
        #expect(SmartCut.options(EncodingOptions(), encoders: 0, cores: 2).threadsPerEncoder == 2)
    }

    @Test("the plan: tolerance of half a frame, no whole GOP, the end of the video")
    func plans() {
        let keys: [Double] = [0, 2, 4, 6, 8]
        let frame = 1.0 / 30
        #expect(SmartCutPlan.plan(keyframes: keys, from: 2.01, to: 6, duration: 10, frameDuration: frame).pieces == [.copy(from: 2.01, to: 6)])
        #expect(SmartCutPlan.plan(keyframes: keys, from: 2.1, to: 3.9, duration: 10, frameDuration: frame).pieces == [.encode(from: 2.1, to: 3.9)])
        #expect(SmartCutPlan.plan(keyframes: keys, from: 1, to: 10, duration: 10, frameDuration: frame).pieces == [.encode(from: 1, to: 2), .copy(from: 2, to: 10)])
        #expect(SmartCutPlan.plan(keyframes: [], from: 1, to: 5, duration: 10, frameDuration: frame).pieces == [.encode(from: 1, to: 5)])
        #expect(SmartCutPlan.plan(keyframes: keys, from: 0, to: 4, duration: 10, frameDuration: frame).encodes == false)
    }

    /// A rendition made as the ladder makes one; each rung's tone has its own pitch, so a copied
    /// sound can be told from one encoded again.
    static func makeRendition(_ rung: Rung, at path: String, x264: String? = nil) async throws {
        _ = try await runTool(Programs.ffmpeg, [
            "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=\(rung.width)x\(rung.height):rate=30:duration=12",
            "-f", "lavfi", "-i", "sine=frequency=\(rung.height + 80):duration=12", "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-maxrate", String(rung.maxRate), "-bufsize", String(rung.bufferSize),
            "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
            "-force_key_frames", "expr:gte(t,n_forced*2)", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart",
        ] + (x264.map { ["-x264-params", $0] } ?? []) + [path], timeLimit: limit)
    }

    static func packets(_ path: String) async throws -> RenditionPackets {
        let output = try await runTool(Programs.ffprobe, RenditionPackets.probeArguments + [path], timeLimit: limit)
        return RenditionPackets(csv: String(decoding: output, as: UTF8.self))
    }

    /// The mean SSIM (All) of `clip`'s frames against `rendition`'s from `from`, over `seconds`.
    static func ssim(_ clip: String, against rendition: String, from: Double, seconds: Double) async throws -> Double {
        let output = try await runTool(Programs.ffmpeg, [
            "-nostdin", "-v", "error", "-i", clip, "-ss", String(from), "-t", String(seconds), "-i", rendition, "-lavfi",
            "[0:v]settb=AVTB,setpts=PTS-STARTPTS[x];[1:v]settb=AVTB,setpts=PTS-STARTPTS[y];[x][y]ssim=stats_file=-", "-f", "null", "-",
        ], timeLimit: limit)
        let values = String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "All:") else { return nil }
            return Double(line[range.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
        return values.isEmpty ? -1 : values.reduce(0, +) / Double(values.count)
    }

    /// The MD5 of the first audio track's packets.
    static func soundHash(_ path: String) async throws -> String {
        String(decoding: try await runTool(Programs.ffmpeg, ["-v", "error", "-i", path, "-map", "0:a:0", "-c", "copy", "-f", "md5", "-"], timeLimit: limit), as: UTF8.self)
    }

    static func streamDuration(_ path: String, stream: String) async throws -> Double {
        let output = try await runTool(
            Programs.ffprobe, ["-v", "error", "-select_streams", stream, "-show_entries", "stream=duration", "-of", "csv=p=0", path], timeLimit: limit)
        return Double(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// The MD5 of each video packet (ffmpeg's `framemd5` of a stream copy) or, `decoded`, of
    /// each decoded picture in presentation order.
    static func packetHashes(_ path: String, seek: Double?, count: Int?, decoded: Bool = false) async throws -> [String] {
        var arguments = ["-v", "error"]
        if let seek { arguments += ["-ss", String(seek)] }
        arguments += ["-i", path, "-map", "0:v:0"] + (decoded ? [] : ["-c", "copy"])
        if let count { arguments += ["-frames:v", String(count)] }
        let output = try await runTool(Programs.ffmpeg, arguments + ["-f", "framemd5", "-"], timeLimit: limit)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }
            .compactMap { $0.split(separator: ",").last?.trimmingCharacters(in: .whitespaces) }
    }
}
