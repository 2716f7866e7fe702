import ClipCutCore
import Foundation
import Transcoder

/// Cuts `[from, to)` out of each of a video's renditions (a rung's MP4): the whole GOPs, and the
/// last GOP's frames that reference nothing past the range, copied packet for packet; the partial
/// GOP at the start and the frames after those encoded with the rung's settings
/// (``SmartCutPlan``, ``SmartCutCommands``). Every rung's pieces are made in one ffmpeg run and
/// joined in another: each ffmpeg start costs about 0.1 s of CPU. When a rung's encoded pieces'
/// parameter sets differ from its rendition's (a rung copied from a phone's own H.264), joining
/// them would not play everywhere: that rung's whole range is encoded instead.
struct SmartCut: Sendable {
    /// One rung to cut: its rendition (a local file, or upload-service's granted URL: ffmpeg
    /// then reads only the ranges it needs), described by `info` (its length, sound and video
    /// packets); its pieces are left in `directory`, its MP4 written to `output` and, with
    /// `hlsDirectory`, its HLS there.
    struct Cut: Sendable {
        var rung: Rung
        var rendition: MediaInput
        var info: RenditionInfo
        var directory: String
        var output: String
        var hlsDirectory: String?
    }

    /// What a rung's cut did.
    struct Outcome: Sendable, Equatable {
        var plan: SmartCutPlan
        /// Seconds of video encoded (the rest was copied).
        var encodedSeconds: Double
    }

    let options: EncodingOptions
    /// Each tool run's time limit.
    let timeLimit: Duration

    /// Cuts every rung of `cuts`; returns what each did, in order, and the clip's sound (an M4A
    /// in the first sounding rung's directory, cut and encoded once, copied into every rung), `nil`
    /// when the renditions have none or none in the range. `captions`: WebVTT files on the clip's
    /// timeline, written into each MP4 as its caption tracks. A range that starts where the
    /// picture has ended (a sound that runs on past it) fails for good, readably.
    func run(
        _ cuts: [Cut], from: Double, to: Double, captions: [(path: String, language: String, title: String?)] = []
    ) async throws -> (outcomes: [Outcome], sound: String?) {
        if let cut = cuts.first(where: { from >= $0.info.duration - Self.frame($0.rung) / 2 }) {
            throw JobFailure.permanent(String(
                format: "The clip starts at %.2f s, where the video's picture has ended (at %.2f s): it would have no picture.",
                from, cut.info.duration))
        }
        // Every rung's tail encoded from the same frame on (their keyframes stay aligned), the
        // frames before it copied.
        let tailStart = SmartCutPlan.tailStart(cuts.map { (packets: $0.info.packets, frameDuration: Self.frame($0.rung)) }, to: to)
        var plans = cuts.map { cut in
            SmartCutPlan.plan(
                keyframes: cut.info.packets.keyframes, from: from, to: min(to, cut.info.duration), duration: cut.info.duration,
                frameDuration: Self.frame(cut.rung), tailStart: tailStart)
        }
        let sounding = cuts.first { $0.info.hasAudio }
        let soundCut = sounding.map { cut in
            SmartCutCommands.SoundCut(input: cut.rendition, from: from, seconds: min(to, cut.info.duration) - from, file: "\(cut.directory)/sound.m4a")
        }
        var pieces = try await cut(cuts, plans: plans, sound: soundCut)
        // A range past the end of the rendition's sound: ffmpeg writes an M4A without a track.
        let sound = soundCut.map(\.file).flatMap { file in
            MovieIndex.read(file: file).map { index in index.tracks.contains { $0.handler == "soun" && $0.sampleCount > 0 } } == false ? nil : file
        }
        // A rung whose encoded pieces do not carry its rendition's parameter sets: encoded whole.
        var again: [Int] = []
        for index in cuts.indices where plans[index].encodes && plans[index].pieces.count > 1 {
            if try await !sameParameterSets(plans[index], pieces[index].map(\.path), rendition: cuts[index].rendition) { again.append(index) }
        }
        if !again.isEmpty {
            for index in again { plans[index] = SmartCutPlan(pieces: [.encode(from: from, to: min(to, cuts[index].info.duration))]) }
            let redone = try await cut(again.map { cuts[$0] }, plans: again.map { plans[$0] }, sound: nil)
            for (index, rungPieces) in zip(again, redone) { pieces[index] = rungPieces }
        }
        var joins: [SmartCutCommands.RungJoin] = []
        for (index, cut) in cuts.enumerated() {
            let list = "\(cut.directory)/pieces.txt"
            try SmartCutCommands.concatList(pieces[index]).write(toFile: list, atomically: true, encoding: .utf8)
            let end = plans[index].pieces.last?.to ?? min(to, cut.info.duration)
            joins.append(SmartCutCommands.RungJoin(list: list, seconds: end - from, output: cut.output, hlsDirectory: cut.hlsDirectory))
        }
        _ = try await runTool(Programs.ffmpeg, SmartCutCommands.join(joins, sound: sound, captions: captions), timeLimit: timeLimit)
        let outcomes = plans.map { plan in
            Outcome(plan: plan, encodedSeconds: plan.pieces.reduce(0.0) { total, piece in
                if case .encode(let a, let b) = piece { total + (b - a) } else { total }
            })
        }
        return (outcomes, sound)
    }

    private static func frame(_ rung: Rung) -> Double { 1 / max(1, rung.frameRate) }

    /// Writes the plans' pieces (one ffmpeg run for all of them, which also cuts and encodes
    /// `sound` when given); returns each rung's pieces in order: each one's path and, but for the
    /// last, its exact length (its first frame to the next one's) for the join.
    private func cut(
        _ cuts: [Cut], plans: [SmartCutPlan], sound: SmartCutCommands.SoundCut?
    ) async throws -> [[(path: String, seconds: Double?)]] {
        let encoders = plans.reduce(0) { count, plan in count + plan.pieces.filter { if case .encode = $0 { true } else { false } }.count }
        let runOptions = Self.options(options, encoders: encoders, cores: ProcessInfo.processInfo.activeProcessorCount)
        let shares = zip(cuts, plans).map { cut, plan in
            let outputs = plan.pieces.enumerated().map { index, piece in
                // Each piece starts at its first frame and stops after exactly its own frames (a
                // copy always after its count, even none: never on to the rendition's end).
                let frames = cut.info.packets.frames(from: piece.from, to: piece.to, frameDuration: Self.frame(cut.rung))
                let count: Int? = if case .copy = piece { frames.count } else { frames.isEmpty ? nil : frames.count }
                return SmartCutCommands.PieceOutput(
                    piece: piece, packets: count, firstFrame: frames.first, output: "\(cut.directory)/piece-\(index).mp4")
            }
            return SmartCutCommands.RungPieces(pieces: outputs, input: cut.rendition, rung: cut.rung, options: runOptions)
        }
        _ = try await runTool(Programs.ffmpeg, SmartCutCommands.pieces(shares, sound: sound), timeLimit: timeLimit)
        return shares.map { share in
            share.pieces.enumerated().map { index, item in
                let next = share.pieces.dropFirst(index + 1).first
                let seconds = next.map { ($0.firstFrame ?? $0.piece.from) - (item.firstFrame ?? item.piece.from) }
                return (path: item.output, seconds: seconds)
            }
        }
    }

    /// The encoding options of a run of `encoders` encoders: unless threads are configured, the
    /// ladder's rule (``EncodingOptions/threads(encoders:cores:)``), where x264's own default
    /// (1.5 threads per core, per encoder) oversubscribes: on 2 cores a 1080p edge cost 10–20 %
    /// more CPU with it.
    static func options(_ options: EncodingOptions, encoders: Int, cores: Int) -> EncodingOptions {
        guard options.threadsPerEncoder == 0 else { return options }
        var options = options
        options.threadsPerEncoder = EncodingOptions.threads(encoders: max(1, encoders), cores: cores)
        return options
    }

    /// Whether every piece carries the rendition's own SPS and PPS (`avcC`). A copied piece has
    /// the rendition's own, so the pieces' records are compared with it as they are read from
    /// their `moov` boxes; only when one cannot be read does ffprobe compare each with the rendition.
    private func sameParameterSets(_ plan: SmartCutPlan, _ pieces: [String], rendition: MediaInput) async throws -> Bool {
        let records = pieces.map { AVCConfiguration.record(inFile: $0) }
        if let copied = plan.pieces.firstIndex(where: { if case .copy = $0 { true } else { false } }),
           let reference = records[copied], records.allSatisfy({ $0 != nil }) {
            return records.allSatisfy { $0 == reference }
        }
        let reference = try await Self.parameterSets(of: rendition, timeLimit: timeLimit)
        for piece in pieces where try await Self.parameterSets(of: .file(piece), timeLimit: timeLimit) != reference { return false }
        return true
    }

    /// The video stream's codec extradata, as ffprobe prints it.
    static func parameterSets(of input: MediaInput, timeLimit: Duration) async throws -> String {
        let output = try await runTool(
            Programs.ffprobe,
            ["-v", "error", "-select_streams", "v:0", "-show_data", "-show_entries", "stream=extradata", "-of", "default"]
                + input.arguments,
            timeLimit: timeLimit)
        return String(decoding: output, as: UTF8.self)
    }
}
