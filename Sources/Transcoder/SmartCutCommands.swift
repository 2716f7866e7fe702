import Foundation

/// The video packets of a rendition, as `ffprobe -show_entries packet=pts_time,flags -of csv=p=0`
/// lists them: what a smart cut needs to know (where the keyframes are, how many packets a
/// copied stretch holds).
public struct RenditionPackets: Sendable, Equatable {
    /// Presentation times, in decode order.
    public var times: [Double]
    /// Presentation times of the keyframes, ascending.
    public var keyframes: [Double]

    /// The ffprobe arguments (before the input) that list them.
    public static let probeArguments = [
        "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0",
    ]

    /// The window of a rendition a cut of `[from, to)` needs listed: from `margin` before it
    /// to `margin` after it, as ffprobe's `-read_intervals` takes it (ffprobe seeks to the
    /// keyframe before the start and stops after the end): a clip of a long rendition lists a
    /// few seconds of it, not all of it.
    public static func readInterval(around from: Double, to: Double, margin: Double = 1) -> String {
        "\(SmartCutCommands.time(max(0, from - margin)))%\(SmartCutCommands.time(max(0, to + margin)))"
    }

    /// Packets given as (presentation time, keyframe?) in decode order; non-finite times are skipped.
    public init(packets: [(time: Double, isKeyframe: Bool)]) {
        let finite = packets.filter { $0.time.isFinite }
        times = finite.map(\.time)
        keyframes = finite.filter(\.isKeyframe).map(\.time).sorted()
    }

    /// Parses ffprobe's lines; lines without a finite time are skipped.
    public init(csv: String) {
        var times: [Double] = [], keyframes: [Double] = []
        for line in csv.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard let first = fields.first, let time = Double(first.trimmingCharacters(in: .whitespaces)), time.isFinite else { continue }
            times.append(time)
            if fields.count > 1, fields[1].hasPrefix("K") { keyframes.append(time) }
        }
        self.times = times
        self.keyframes = keyframes.sorted()
    }

    /// How many packets present a frame in `[from, to)` (half a frame of tolerance at each end).
    public func count(from: Double, to: Double, frameDuration: Double) -> Int {
        frames(from: from, to: to, frameDuration: frameDuration).count
    }

    /// The presentation times of the frames in `[from, to)`, half a frame of tolerance at each
    /// end, ascending: what a piece of that range holds, whatever the range's ends fall between.
    public func frames(from: Double, to: Double, frameDuration: Double) -> [Double] {
        let tolerance = frameDuration / 2
        return times.filter { $0 >= from - tolerance && $0 < to - tolerance }.sorted()
    }
}

/// The ffmpeg commands of a smart cut of one rendition (``SmartCutPlan``): each piece as a
/// video-only MP4 (copied pieces packet for packet, encoded ones with the rung's own settings so
/// their parameter sets are the rendition's and the joined stream plays everywhere), then the
/// pieces joined without touching a packet and the audio cut at the exact times.
public enum SmartCutCommands {
    /// One piece of the cut: what ``pieces(_:input:rung:options:)`` needs to write it.
    public struct PieceOutput: Sendable, Equatable {
        public var piece: SmartCutPlan.Piece
        /// How many packets (frames) it holds (``RenditionPackets/frames(from:to:frameDuration:)``):
        /// a copy stops after exactly those, in decode order, so no frame of the next GOP slips in;
        /// an encode after exactly those frames. Not after a length (`-t`) alone: counted from a
        /// first frame that falls after the range's start, a length takes in the next piece's
        /// first frame too (a frame shown twice, the sound a frame ahead). `nil`: an encode of
        /// `-t` the piece's length.
        public var packets: Int?
        /// Its first frame's presentation time: where ffmpeg starts it (a copy whose range starts
        /// just after its keyframe would otherwise lose that keyframe).
        public var firstFrame: Double?
        /// The video-only MP4 it is written to.
        public var output: String

        public init(piece: SmartCutPlan.Piece, packets: Int?, firstFrame: Double? = nil, output: String) {
            self.piece = piece
            self.packets = packets
            self.firstFrame = firstFrame
            self.output = output
        }
    }

    /// The x264 options an edge (an encoded piece beside a copied one) is made with, for the
    /// presets they make cheaper: a simpler motion search and a shorter lookahead. None of them
    /// reaches the SPS or PPS, so the edge still joins the copied packets (the cut checks the
    /// pieces' `avcC`). Subpel refinement stays below 6, where psy-RD (which lowers the PPS's
    /// chroma QP offset) is off, as it is in these presets. On a 1080p rendition, a 0.7 s and a
    /// 1.3 s edge cost about 30 % less CPU; their SSIM against the rendition was 0.993–0.994
    /// against the preset's 0.995, their sizes 0.95× and 1.06× the preset's.
    public static func edgeAnalysis(preset: String) -> [String] {
        ["veryfast", "faster"].contains(preset) ? ["-x264-params", "me=dia:subme=1:b-adapt=0:rc-lookahead=5"] : []
    }

    /// One rung's share of a pieces run: its rendition, its settings and its pieces.
    public struct RungPieces: Sendable {
        public var pieces: [PieceOutput]
        public var input: MediaInput
        public var rung: Rung
        public var options: EncodingOptions

        public init(pieces: [PieceOutput], input: MediaInput, rung: Rung, options: EncodingOptions) {
            self.pieces = pieces
            self.input = input
            self.rung = rung
            self.options = options
        }
    }

    /// The clip's sound, cut and encoded in a pieces run: read from `input` at `from` for
    /// `seconds`, written to `file` (an M4A that every rung's join copies).
    public struct SoundCut: Sendable {
        public var input: MediaInput
        public var from: Double
        public var seconds: Double
        public var file: String

        public init(input: MediaInput, from: Double, seconds: Double, file: String) {
            self.input = input
            self.from = from
            self.seconds = seconds
            self.file = file
        }
    }

    /// Every piece of every rung in one ffmpeg run: each rendition opened once per piece at the
    /// piece's start, each piece written to its own MP4 (copies packet for packet, encodes with
    /// their rung's settings; an edge, an encoded piece when another of its rung is copied, with
    /// ``edgeAnalysis(preset:)``). One run instead of one per piece or per rung: each ffmpeg
    /// start costs about 0.1 s of CPU. With `sound`, the run opens that rendition once more (an
    /// input of its own: from a piece's input, ffmpeg would go on decoding that picture for the
    /// sound's whole length, 1 s of CPU for 10 s of 1080p), cuts its audio and encodes it as the
    /// ladder does.
    public static func pieces(_ rungs: [RungPieces], sound: SoundCut? = nil) -> [String] {
        var inputs: [String] = [], outputs: [String] = []
        var index = 0
        for share in rungs {
            let edges = share.pieces.contains { if case .copy = $0.piece { true } else { false } }
            for item in share.pieces {
                inputs += ["-ss", time(item.firstFrame ?? item.piece.from)] + share.input.arguments
                outputs += ["-map", "\(index):v:0", "-an", "-sn", "-dn"]
                index += 1
                switch item.piece {
                case .copy:
                    outputs += ["-c:v", "copy"]
                    if let packets = item.packets { outputs += ["-frames:v", String(packets)] }
                case .encode(let from, let to):
                    let rung = share.rung, options = share.options
                    let gop = String(max(1, Int(clampingRounded: rung.frameRate * options.keyframeSeconds)))
                    // Exactly its frames; the length too (half a frame more, so it never cuts one):
                    // without it, a run of several outputs went on decoding a finished piece's
                    // input, twice the CPU of a run of 1080p edges.
                    if let frames = item.packets, frames > 0 {
                        outputs += ["-frames:v", String(frames), "-t", time(to - from + 0.5 / max(1, share.rung.frameRate))]
                    } else {
                        outputs += ["-t", time(to - from)]
                    }
                    // The frames as they come: an MP4 output is otherwise made constant-rate, and
                    // a variable-rate rendition's frames repeated (the count reached too soon).
                    outputs += [
                        "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", options.preset, "-crf", String(options.crf),
                        "-maxrate", String(rung.maxRate), "-bufsize", String(rung.bufferSize), "-profile:v", "high", "-pix_fmt", "yuv420p",
                        "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
                    ]
                    if edges { outputs += edgeAnalysis(preset: options.preset) }
                    if options.threadsPerEncoder > 0 { outputs += ["-threads", String(options.threadsPerEncoder)] }
                }
                outputs += ["-movflags", "+faststart", item.output]
            }
        }
        if let sound {
            inputs += ["-ss", time(sound.from), "-t", time(sound.seconds)] + sound.input.arguments
            outputs += [
                "-map", "\(index):a:0", "-vn", "-sn", "-dn", "-af", soundTimeline, "-t", time(sound.seconds),
                "-c:a", "aac", "-b:a", "128k", "-ac", "2", sound.file,
            ]
        }
        return Packaging.quiet + inputs + outputs
    }

    /// The sound's filter: silence from the clip's start to the rendition's first sample, and
    /// in any gap of more than 10 ms. A sound that starts after the clip does (a rendition whose
    /// sound begins late) would otherwise be moved to 0 when the joining run reads it: early by
    /// the gap, out of step with the picture.
    static let soundTimeline = "aresample=async=1:min_hard_comp=0.01:first_pts=0"

    /// One rung's pieces in one run (``pieces(_:sound:)``); with `sound`, the rendition's audio
    /// from the first piece's start.
    public static func pieces(
        _ pieces: [PieceOutput], input: MediaInput, rung: Rung, options: EncodingOptions, sound: (file: String, seconds: Double)? = nil
    ) -> [String] {
        let cut = sound.flatMap { sound in
            pieces.first.map { SoundCut(input: input, from: $0.piece.from, seconds: sound.seconds, file: sound.file) }
        }
        return Self.pieces([RungPieces(pieces: pieces, input: input, rung: rung, options: options)], sound: cut)
    }

    /// The concat demuxer's list of the pieces, in order, each with its exact length when given
    /// (from its first frame to the next piece's): the next piece then starts exactly there.
    /// Without it the demuxer takes a piece's length from its MP4's `mvhd`, in milliseconds: a
    /// piece of 37 frames at 30 fps (1.2333 s) counted as 1.234 s put every later frame 0.65 ms late.
    public static func concatList(_ pieces: [(path: String, seconds: Double?)]) -> String {
        pieces.map { piece in
            let file = "file '\(piece.path.replacingOccurrences(of: "'", with: "'\\''"))'\n"
            return file + (piece.seconds.map { "duration \(time($0))\n" } ?? "")
        }.joined()
    }

    /// One rung's join: its pieces' list (``concatList(_:)``), its picture's length, where its
    /// MP4 goes and, optionally, the directory of its HLS.
    public struct RungJoin: Sendable {
        public var list: String
        public var seconds: Double
        public var output: String
        public var hlsDirectory: String?

        public init(list: String, seconds: Double, output: String, hlsDirectory: String? = nil) {
            self.list = list
            self.seconds = seconds
            self.output = output
            self.hlsDirectory = hlsDirectory
        }
    }

    /// Every rung's pieces joined in one run, as they are, packet for packet, each with the
    /// audio track of `sound` (the clip's sound, cut and encoded once by ``pieces(_:sound:)``:
    /// copied, read once per rung so that it is never longer than that rung's picture; `nil`:
    /// no sound) and the `captions` (WebVTT files already on the clip's timeline, read once) as
    /// `mov_text` tracks; `+faststart`: each MP4 as it is stored. A rung with `hlsDirectory` gets
    /// its joined picture and sound as HLS there too (``Packaging/hlsOutput(into:segmentSeconds:)``):
    /// no second run to remux either.
    public static func join(
        _ rungs: [RungJoin], sound: String?, captions: [(path: String, language: String, title: String?)] = []
    ) -> [String] {
        var arguments = Packaging.quiet
        for rung in rungs { arguments += ["-f", "concat", "-safe", "0", "-auto_convert", "0"] + LadderCommand.input(rung.list) }
        if let sound {
            for rung in rungs { arguments += ["-t", time(rung.seconds)] + LadderCommand.input(sound) }
        }
        let firstCaption = rungs.count * (sound == nil ? 1 : 2)
        for track in captions { arguments += LadderCommand.input(track.path) }
        for (index, rung) in rungs.enumerated() {
            var streams = ["-map", "\(index):v:0", "-c:v", "copy"]
            if sound != nil { streams += ["-map", "\(rungs.count + index):a:0", "-c:a", "copy"] }
            arguments += streams + Packaging.captionTracks(captions, firstInput: firstCaption) + ["-movflags", "+faststart", rung.output]
            if let hls = rung.hlsDirectory { arguments += streams + Packaging.hlsOutput(into: hls) }
        }
        return arguments
    }

    /// One rung's join (``join(_:sound:captions:)``).
    public static func join(
        list: String, seconds: Double, sound: String?, output: String, hlsDirectory: String? = nil,
        captions: [(path: String, language: String, title: String?)] = []
    ) -> [String] {
        join([RungJoin(list: list, seconds: seconds, output: output, hlsDirectory: hlsDirectory)], sound: sound, captions: captions)
    }

    /// Seconds as ffmpeg reads them, to the microsecond.
    static func time(_ seconds: Double) -> String {
        String(format: "%.6f", max(0, seconds))
    }
}
