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

    /// The same, for only the packets around `[from, to)` (`-read_intervals`: ffprobe seeks to
    /// the keyframe before `from - margin` and stops after `to + margin`), which is all a cut of
    /// that range needs: a clip of a long rendition reads a few seconds of it, not all of it.
    public static func probeArguments(around from: Double, to: Double, margin: Double = 1) -> [String] {
        let start = SmartCutCommands.time(max(0, from - margin)), end = SmartCutCommands.time(max(0, to + margin))
        return ["-read_intervals", "\(start)%\(end)"] + probeArguments
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
    /// One piece. `packets`: for a copy that ends before the end of the rendition, how many
    /// packets it holds (``RenditionPackets/count(from:to:frameDuration:)``): a copy stops after
    /// exactly those, in decode order, so no frame of the next GOP slips in.
    public static func piece(
        _ piece: SmartCutPlan.Piece, input: MediaInput, packets: Int?, rung: Rung, options: EncodingOptions, output: String
    ) -> [String] {
        var arguments = Packaging.quiet + ["-ss", time(piece.from)] + input.arguments + ["-map", "0:v:0", "-an", "-sn", "-dn"]
        switch piece {
        case .copy:
            arguments += ["-c:v", "copy"]
            if let packets { arguments += ["-frames:v", String(packets)] }
        case .encode(let from, let to):
            let gop = String(max(1, Int(clampingRounded: rung.frameRate * options.keyframeSeconds)))
            arguments += [
                "-t", time(to - from), "-c:v", "libx264", "-preset", options.preset, "-crf", String(options.crf),
                "-maxrate", String(rung.maxRate), "-bufsize", String(rung.bufferSize), "-profile:v", "high", "-pix_fmt", "yuv420p",
                "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
            ]
            if options.threadsPerEncoder > 0 { arguments += ["-threads", String(options.threadsPerEncoder)] }
        }
        return arguments + ["-movflags", "+faststart", output]
    }

    /// The concat demuxer's list of the pieces, in order.
    public static func concatList(_ paths: [String]) -> String {
        paths.map { "file '\($0.replacingOccurrences(of: "'", with: "'\\''"))'\n" }.joined()
    }

    /// The pieces joined (`list`: ``concatList(_:)``) as they are, packet for packet, with the
    /// rendition's audio cut at exactly `[from, to)` and encoded as the ladder does; `+faststart`.
    public static func join(list: String, rendition: MediaInput, from: Double, to: Double, hasAudio: Bool, output: String) -> [String] {
        var arguments = Packaging.quiet + ["-f", "concat", "-safe", "0", "-auto_convert", "0"] + LadderCommand.input(list)
        if hasAudio { arguments += ["-ss", time(from), "-t", time(to - from)] + rendition.arguments }
        arguments += ["-map", "0:v:0", "-c:v", "copy"]
        if hasAudio { arguments += ["-map", "1:a:0", "-c:a", "aac", "-b:a", "128k", "-ac", "2"] }
        return arguments + ["-movflags", "+faststart", output]
    }

    /// Seconds as ffmpeg reads them, to the microsecond.
    static func time(_ seconds: Double) -> String {
        String(format: "%.6f", max(0, seconds))
    }
}
