import ClipCutCore
import Foundation
import Transcoder

/// Cuts `[from, to)` out of one rendition (a rung's MP4): the whole GOPs copied packet for
/// packet, the partial GOPs at the ends encoded with the rung's settings (``SmartCutPlan``,
/// ``SmartCutCommands``). When the encoded pieces' parameter sets differ from the rendition's
/// (a rung copied from a phone's own H.264), joining them would not play everywhere: the whole
/// range is encoded instead.
struct SmartCut: Sendable {
    /// What a cut did.
    struct Outcome: Sendable, Equatable {
        var plan: SmartCutPlan
        /// Seconds of video encoded (the rest was copied).
        var encodedSeconds: Double
        /// The clip's sound (an M4A the other rungs' cuts copy); `nil` when the rendition has none.
        var sound: String?
    }

    let rung: Rung
    let options: EncodingOptions
    /// Each tool run's time limit.
    let timeLimit: Duration

    /// Cuts `rendition` (a local file, or upload-service's granted URL: ffmpeg then reads only
    /// the ranges it needs), described by `info` (its length, sound and the packets around the
    /// range), into `output`, working in `directory` (its pieces are left there). With
    /// `hlsDirectory` the joining run writes the clip's HLS there too. `soundFrom`: the clip's
    /// sound, cut and encoded by another rung's cut (``Outcome/sound``), copied; without it the
    /// pieces' run cuts and encodes the rendition's into `directory/sound.m4a`.
    /// `captions`: WebVTT files on the clip's timeline, written into `output` as its caption tracks.
    func run(
        rendition: MediaInput, info: RenditionInfo, from: Double, to: Double, directory: String, output: String, hlsDirectory: String? = nil,
        soundFrom: String? = nil, captions: [(path: String, language: String, title: String?)] = []
    ) async throws -> Outcome {
        let packets = info.packets, duration = info.duration
        let frame = 1 / max(1, rung.frameRate)
        let end = min(to, duration)
        let sound = info.hasAudio ? soundFrom ?? "\(directory)/sound.m4a" : nil
        let encodeSound = info.hasAudio && soundFrom == nil ? sound.map { (file: $0, seconds: end - from) } : nil
        var plan = SmartCutPlan.plan(keyframes: packets.keyframes, from: from, to: end, duration: duration, frameDuration: frame)
        var paths = try await cut(plan, rendition: rendition, packets: packets, frame: frame, directory: directory, sound: encodeSound)
        if plan.encodes, plan.pieces.count > 1, try await !sameParameterSets(plan, paths, rendition: rendition) {
            plan = SmartCutPlan(pieces: [.encode(from: from, to: end)])
            paths = try await cut(plan, rendition: rendition, packets: packets, frame: frame, directory: directory, sound: nil)
        }
        let list = "\(directory)/pieces.txt"
        try SmartCutCommands.concatList(paths).write(toFile: list, atomically: true, encoding: .utf8)
        _ = try await runTool(
            Programs.ffmpeg,
            SmartCutCommands.join(
                list: list, seconds: (plan.pieces.last?.to ?? end) - from, sound: sound, output: output, hlsDirectory: hlsDirectory,
                captions: captions),
            timeLimit: timeLimit)
        let encoded = plan.pieces.reduce(0.0) { total, piece in
            if case .encode(let a, let b) = piece { total + (b - a) } else { total }
        }
        return Outcome(plan: plan, encodedSeconds: encoded, sound: sound)
    }

    /// Writes the plan's pieces (one ffmpeg run for all of them, which also cuts and encodes
    /// `sound` when given); returns their paths in order.
    private func cut(
        _ plan: SmartCutPlan, rendition: MediaInput, packets: RenditionPackets, frame: Double, directory: String,
        sound: (file: String, seconds: Double)?
    ) async throws -> [String] {
        let outputs = plan.pieces.enumerated().map { index, piece in
            var count: Int?  // a copy stops after exactly its own packets
            if case .copy(let a, let b) = piece { count = packets.count(from: a, to: b, frameDuration: frame) }
            return SmartCutCommands.PieceOutput(piece: piece, packets: count, output: "\(directory)/piece-\(index).mp4")
        }
        _ = try await runTool(
            Programs.ffmpeg,
            SmartCutCommands.pieces(
                outputs, input: rendition, rung: rung, options: Self.options(options, for: plan, cores: ProcessInfo.processInfo.activeProcessorCount),
                sound: sound),
            timeLimit: timeLimit)
        return outputs.map(\.output)
    }

    /// The encoding options of a plan's run: unless threads are configured, the ladder's rule
    /// (``EncodingOptions/threads(encoders:cores:)``) for the run's encoders, where x264's own
    /// default (1.5 threads per core, per encoder) oversubscribes: on 2 cores a 1080p edge cost
    /// 10–20 % more CPU with it.
    static func options(_ options: EncodingOptions, for plan: SmartCutPlan, cores: Int) -> EncodingOptions {
        guard options.threadsPerEncoder == 0 else { return options }
        var options = options
        let encoders = plan.pieces.filter { if case .encode = $0 { true } else { false } }.count
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
