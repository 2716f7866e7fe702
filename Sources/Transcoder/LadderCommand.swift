import Foundation

/// How the ladder is encoded.
public struct EncodingOptions: Sendable, Equatable {
    /// libx264 preset.
    public var preset: String
    /// Constant rate factor (quality); `maxrate`/`bufsize` cap each rung.
    public var crf: Int
    /// x264 threads per rung encoder (0: let x264 choose).
    public var threadsPerEncoder: Int
    /// x264 threads of the first (largest) encoded rung, which does most of the work; `nil`: as the others.
    public var leadEncoderThreads: Int?
    /// When a rung is a copy of the source: every encoded rung puts its keyframes where the
    /// source has its own (`-force_key_frames source`) instead of the fixed GOP, so segments
    /// still line up across rungs. One short argument whatever the length of the source.
    public var keyframesFromSource: Bool
    /// Scale every rung from the one above it (1080→720→480→360) instead of from the source.
    public var cascadedScaling: Bool
    /// swscale algorithm (`bicubic`, `bilinear`, `fast_bilinear`, …).
    public var scaler: String
    /// GOP length in seconds; keyframes at exactly these multiples in every rung.
    public var keyframeSeconds: Double
    /// One more keyframe this far in (before the first multiple of `keyframeSeconds`), so a
    /// video written as HLS can open with a shorter first segment and play sooner; `nil`: none.
    /// Every rung gets it, so keyframes stay aligned; the later ones are unchanged.
    public var firstKeyframeSeconds: Double?

    public init(
        preset: String = "veryfast", crf: Int = 23, threadsPerEncoder: Int = 0, cascadedScaling: Bool = true,
        scaler: String = "bicubic", keyframeSeconds: Double = 2
    ) {
        self.preset = preset
        self.crf = crf
        self.threadsPerEncoder = threadsPerEncoder
        self.cascadedScaling = cascadedScaling
        self.scaler = scaler
        self.keyframeSeconds = keyframeSeconds
        self.firstKeyframeSeconds = nil
        self.leadEncoderThreads = nil
        self.keyframesFromSource = false
    }

    /// Threads per encoder for `encoders` encoders sharing `cores`: enough for all cores to
    /// work, no more (x264's default of 1.5 threads per core, per encoder, oversubscribes). At
    /// least two: ffmpeg 5.1 feeds its encoders from one thread, and a single-threaded x264
    /// encodes inside that thread, so the rungs would take turns on one core (measured: wall
    /// time 0.8× the seeds' way with one thread, 1.2–1.5× with two, at the same CPU).
    public static func threads(encoders: Int, cores: Int) -> Int {
        max(2, Int((Double(cores) / Double(max(1, encoders))).rounded(.up)))
    }
}

/// The ffmpeg command that decodes the source once and writes every rung.
public struct LadderCommand: Sendable {
    /// The arguments after `ffmpeg`.
    public var arguments: [String]
    /// Where each rung's output goes, by rung name: its MP4, or in HLS mode the directory of its
    /// playlist and segments (``HLSSegmenting``), which must exist before ffmpeg starts.
    public var outputs: [String: String]

    /// Builds the command.
    ///
    /// - One decode; the filter graph splits it into one scale branch per encoded rung
    ///   (cascaded: each rung scaled from the previous one), square pixels, frame rate capped.
    /// - One libx264 encode per rung: CRF with `maxrate`/`bufsize`, High profile, yuv420p, a
    ///   keyframe every `keyframeSeconds` exactly (`force_key_frames`, no scene-cut keyframes;
    ///   and one at `firstKeyframeSeconds` when set), so segments line up across rungs; AAC
    ///   stereo 128 kb/s when there is audio.
    /// - Rungs marked `isRemux` copy the source's streams instead.
    /// - `burnSubtitles`: a WebVTT file rendered into the pixels before scaling.
    /// - `stillPicture`: for a source without video (``MediaProbe/isAudioOnly``), the picture
    ///   shown for the whole length of the sound.
    /// - `hlsSegmentSeconds`: each encoded rung is written as HLS with fMP4 segments into
    ///   `hls-<rung>` (``HLSSegmenting``), published while ffmpeg runs, instead of an MP4; rungs
    ///   marked `isRemux` are left out (``HLSSegmenting/copy(source:hasAudio:directory:segmentSeconds:)``
    ///   cuts them from the source first).
    ///
    /// The source is read as `source` says (``MediaInput``: a local file, or upload-service over
    /// HTTP with its demuxer forced); every other input with `-protocol_whitelist file,pipe`.
    public init(
        source: MediaInput, probe: MediaProbe, rungs: [Rung], outputDirectory: String, options: EncodingOptions = .init(),
        burnSubtitles: String? = nil, stillPicture: String? = nil, hlsSegmentSeconds: Int? = nil
    ) {
        var arguments = ["-nostdin", "-y", "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1"]
            + source.arguments
        var outputs: [String: String] = [:]
        let encoded = rungs.filter { !$0.isRemux || burnSubtitles != nil }
        let hasAudio = probe.audio != nil
        var videoInput = "[0:v]"
        if probe.video == nil, let stillPicture {
            arguments += ["-loop", "1", "-framerate", Self.number(Ladder.audioPictureFrameRate)] + Self.input(stillPicture)
            videoInput = "[1:v]"
        }
        if !encoded.isEmpty {
            var pre: [String] = []
            if let video = probe.video, video.frameRate > 60.5 || video.frameRateIsAssumed {
                pre.append("fps=\(Self.number(min(60, video.frameRate)))")  // a set rate, not the file's timestamps
            }
            if let burnSubtitles { pre.append("subtitles=filename=\(Self.escapeFilterValue(burnSubtitles))") }
            let labels = encoded.indices.map { "v\($0)" }
            arguments += ["-filter_complex", Self.filterGraph(encoded, labels: labels, pre: pre, options: options, input: videoInput)]
            for (index, rung) in encoded.enumerated() {
                var gop = max(1, Int(clampingRounded: rung.frameRate * options.keyframeSeconds))
                var forceKeyframes = Self.forcedKeyframes(every: options.keyframeSeconds, first: options.firstKeyframeSeconds)
                if options.keyframesFromSource {
                    gop = max(1, Int(clampingRounded: rung.frameRate * 10))  // no keyframes but the forced ones
                    forceKeyframes = "source"
                }
                arguments += ["-map", "[\(labels[index])]"]
                if hasAudio { arguments += ["-map", "0:a:0"] }
                arguments += [
                    "-c:v", "libx264", "-preset", options.preset, "-crf", String(options.crf),
                    "-maxrate", String(rung.maxRate), "-bufsize", String(rung.bufferSize),
                    "-profile:v", "high", "-pix_fmt", "yuv420p",
                    "-g", String(gop), "-keyint_min", String(options.keyframesFromSource ? 1 : gop), "-sc_threshold", "0",
                    "-force_key_frames", forceKeyframes,
                ]
                let threads = index == 0 ? (options.leadEncoderThreads ?? options.threadsPerEncoder) : options.threadsPerEncoder
                if threads > 0 { arguments += ["-threads", String(threads)] }
                if hasAudio { arguments += ["-c:a", "aac", "-b:a", "128k", "-ac", "2"] }
                if probe.video == nil { arguments += ["-t", String(format: "%.3f", probe.duration), "-shortest"] }
                if let hlsSegmentSeconds {
                    let directory = "\(outputDirectory)/hls-\(rung.name)"
                    let first = options.keyframesFromSource ? nil : options.firstKeyframeSeconds
                    arguments += HLSSegmenting.output(directory: directory, segmentSeconds: hlsSegmentSeconds, firstSegmentSeconds: first)
                    outputs[rung.name] = directory
                } else {
                    let path = "\(outputDirectory)/\(rung.name).mp4"
                    arguments += ["-movflags", "+faststart", path]
                    outputs[rung.name] = path
                }
            }
        }
        for rung in rungs where rung.isRemux && burnSubtitles == nil && hlsSegmentSeconds == nil {
            let path = "\(outputDirectory)/\(rung.name).mp4"
            arguments += ["-map", "0:v:0"]
            if hasAudio { arguments += ["-map", "0:a:0"] }
            arguments += ["-c", "copy", "-movflags", "+faststart", path]
            outputs[rung.name] = path
        }
        self.arguments = arguments
        self.outputs = outputs
    }

    /// The `-force_key_frames` expression: a keyframe at 0, `every`, 2 × `every`…, and at `first`
    /// when it is set and comes before `every` (e.g. 0, 1, 2, 4, 6… s).
    static func forcedKeyframes(every: Double, first: Double?) -> String {
        let step = number(every)
        guard let first, first > 0, first < every else { return "expr:gte(t,n_forced*\(step))" }
        return "expr:gte(t,if(lt(n_forced,2),n_forced*\(number(first)),(n_forced-1)*\(step)))"
    }

    /// `-protocol_whitelist file,pipe -i path`: an input that may open local files only.
    public static func input(_ path: String) -> [String] {
        ["-protocol_whitelist", "file,pipe", "-i", path]
    }

    /// `[0:v]pre,split=…`: one labelled branch per rung, best first.
    static func filterGraph(_ rungs: [Rung], labels: [String], pre: [String], options: EncodingOptions, input: String = "[0:v]") -> String {
        func scale(_ rung: Rung) -> String { "scale=\(rung.width):\(rung.height):flags=\(options.scaler),setsar=1" }
        let head = input + (pre.isEmpty ? "" : pre.joined(separator: ",") + ",")
        if rungs.count == 1 { return head + scale(rungs[0]) + "[\(labels[0])]" }
        if !options.cascadedScaling {
            let splits = labels.indices.map { "[s\($0)]" }.joined()
            let branches = rungs.indices.map { "[s\($0)]\(scale(rungs[$0]))[\(labels[$0])]" }
            return head + "split=\(rungs.count)\(splits);" + branches.joined(separator: ";")
        }
        var parts: [String] = []
        var input = head
        for index in rungs.indices {
            let isLast = index == rungs.count - 1
            let step = input + scale(rungs[index])
            if isLast {
                parts.append(step + "[\(labels[index])]")
            } else {
                parts.append(step + ",split=2[\(labels[index])][c\(index)]")
                input = "[c\(index)]"
            }
        }
        return parts.joined(separator: ";")
    }

    /// A path inside a filter argument: `\`, `'`, `:` and `,` escaped.
    static func escapeFilterValue(_ path: String) -> String {
        var escaped = ""
        for character in path {
            if "\\':,[];".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
