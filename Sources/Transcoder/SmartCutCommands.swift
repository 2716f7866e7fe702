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
        let tolerance = frameDuration / 2
        return times.filter { $0 >= from - tolerance && $0 < to - tolerance }.count
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
        /// For a copy that ends before the end of the rendition, how many packets it holds
        /// (``RenditionPackets/count(from:to:frameDuration:)``): a copy stops after exactly those,
        /// in decode order, so no frame of the next GOP slips in.
        public var packets: Int?
        /// The video-only MP4 it is written to.
        public var output: String

        public init(piece: SmartCutPlan.Piece, packets: Int?, output: String) {
            self.piece = piece
            self.packets = packets
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

    /// Every piece in one ffmpeg run: the rendition opened once per piece at the piece's start,
    /// each written to its own MP4 (copies packet for packet, encodes with the rung's settings;
    /// an edge, an encoded piece when another is copied, with ``edgeAnalysis(preset:)``).
    /// One run instead of one per piece: each ffmpeg start costs about 0.1 s of CPU. With
    /// `sound`, the same run opens the rendition once more at the first piece's start, cuts its
    /// audio `seconds` long and encodes it as the ladder does into `file` (an M4A that every
    /// rung's join copies).
    public static func pieces(
        _ pieces: [PieceOutput], input: MediaInput, rung: Rung, options: EncodingOptions, sound: (file: String, seconds: Double)? = nil
    ) -> [String] {
        let edges = pieces.contains { if case .copy = $0.piece { true } else { false } }
        var arguments = Packaging.quiet
        for item in pieces { arguments += ["-ss", time(item.piece.from)] + input.arguments }
        for (index, item) in pieces.enumerated() {
            arguments += ["-map", "\(index):v:0", "-an", "-sn", "-dn"]
            switch item.piece {
            case .copy:
                arguments += ["-c:v", "copy"]
                if let packets = item.packets { arguments += ["-frames:v", String(packets)] }
            case .encode(let from, let to):
                let gop = String(max(1, Int(clampingRounded: rung.frameRate * options.keyframeSeconds)))
                arguments += [
                    "-t", time(to - from), "-c:v", "libx264", "-preset", options.preset, "-crf", String(options.crf),
                    "-maxrate", String(rung.maxRate), "-bufsize", String(rung.bufferSize), "-profile:v", "high", "-pix_fmt", "yuv420p",
                    "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
                ]
                if edges { arguments += edgeAnalysis(preset: options.preset) }
                if options.threadsPerEncoder > 0 { arguments += ["-threads", String(options.threadsPerEncoder)] }
            }
            arguments += ["-movflags", "+faststart", item.output]
        }
        if let sound, let first = pieces.first {
            // An input of its own: from the first piece's, whose picture ffmpeg would go on
            // decoding for the sound's whole length (1 s of CPU for 10 s of 1080p).
            arguments += [
                "-map", "\(pieces.count):a:0", "-vn", "-sn", "-dn", "-t", time(sound.seconds), "-c:a", "aac", "-b:a", "128k", "-ac", "2", sound.file,
            ]
            let inputs = arguments.firstIndex(of: "-map") ?? arguments.endIndex
            arguments.insert(contentsOf: ["-ss", time(first.piece.from), "-t", time(sound.seconds)] + input.arguments, at: inputs)
        }
        return arguments
    }

    /// The concat demuxer's list of the pieces, in order.
    public static func concatList(_ paths: [String]) -> String {
        paths.map { "file '\($0.replacingOccurrences(of: "'", with: "'\\''"))'\n" }.joined()
    }

    /// The pieces joined (`list`: ``concatList(_:)``) as they are, packet for packet, `seconds`
    /// long, with the audio track of `sound` (the clip's sound, cut and encoded once by
    /// ``pieces(_:input:rung:options:sound:)``: copied, never longer than this rung's picture;
    /// `nil`: no sound) and the `captions` (WebVTT files already on the clip's timeline) as
    /// `mov_text` tracks; `+faststart`: the clip's MP4 as it is stored. With `hlsDirectory` the
    /// same run also writes the joined picture and sound as HLS there
    /// (``Packaging/hlsOutput(into:segmentSeconds:)``): no second run to remux either.
    public static func join(
        list: String, seconds: Double, sound: String?, output: String, hlsDirectory: String? = nil,
        captions: [(path: String, language: String, title: String?)] = []
    ) -> [String] {
        var arguments = Packaging.quiet + ["-f", "concat", "-safe", "0", "-auto_convert", "0"] + LadderCommand.input(list)
        var streams = ["-map", "0:v:0", "-c:v", "copy"]
        if let sound {
            arguments += ["-t", time(seconds)] + LadderCommand.input(sound)
            streams += ["-map", "1:a:0", "-c:a", "copy"]
        }
        let firstCaption = sound == nil ? 1 : 2
        for track in captions { arguments += LadderCommand.input(track.path) }
        arguments += streams + Packaging.captionTracks(captions, firstInput: firstCaption) + ["-movflags", "+faststart", output]
        if let hlsDirectory { arguments += streams + Packaging.hlsOutput(into: hlsDirectory) }
        return arguments
    }

    /// Seconds as ffmpeg reads them, to the microsecond.
    static func time(_ seconds: Double) -> String {
        String(format: "%.6f", max(0, seconds))
    }
}
