import Foundation

/// The remux commands that package an encoded rung, and the images.
public enum Packaging {
    /// The options every packaging run starts with: no input, overwrite, errors only.
    static let quiet = ["-nostdin", "-y", "-hide_banner", "-loglevel", "error"]

    /// The progressive MP4 download with the captions as a `mov_text` track (`-c copy`).
    public static func mp4WithCaptions(rung: String, captions: String, language: String, output: String) -> [String] {
        mp4WithCaptions(rung: rung, tracks: [(captions, language, nil)], output: output)
    }

    /// The rung remuxed with one `mov_text` track per WebVTT (`path`, ISO 639-1 `language`,
    /// `title` for the player's menu), in order; the first is the default. `startOffset`: see
    /// ``mp4WithoutCaptions(rung:output:startOffset:)``.
    public static func mp4WithCaptions(
        rung: String, tracks: [(path: String, language: String, title: String?)], output: String, startOffset: Double = 0
    ) -> [String] {
        var arguments = quiet + shift(startOffset) + LadderCommand.input(rung)
        for track in tracks { arguments += LadderCommand.input(track.path) }
        arguments += ["-map", "0:v", "-map", "0:a?", "-c", "copy"] + captionTracks(tracks, firstInput: 1)
        return arguments + ["-movflags", "+faststart", output]
    }

    /// The output options that add one `mov_text` track per WebVTT, read as inputs
    /// `firstInput`, `firstInput + 1`… (in `tracks`' order): language (ISO 639-2), `title` for
    /// the player's menu, the first the default.
    public static func captionTracks(_ tracks: [(path: String, language: String, title: String?)], firstInput: Int) -> [String] {
        guard !tracks.isEmpty else { return [] }
        var arguments: [String] = []
        for index in tracks.indices { arguments += ["-map", "\(firstInput + index):s"] }
        arguments += ["-c:s", "mov_text"]
        for (index, track) in tracks.enumerated() {
            arguments += ["-metadata:s:s:\(index)", "language=\(iso639_2(track.language))"]
            if let title = track.title { arguments += ["-metadata:s:s:\(index)", "title=\(title)"] }
            arguments += ["-disposition:s:\(index)", index == 0 ? "default" : "0"]
        }
        return arguments
    }

    /// The rung remuxed without any caption track (the owner deleted the last one, or there is
    /// none). `startOffset`: when the rung is its HLS segments joined, the time of its first video
    /// frame there (fMP4 segments have no edit list, so the AAC priming and the B-frame delay
    /// move the picture a few frames later); the MP4 starts its picture at zero again, the
    /// priming hidden by an edit list, as an MP4 written by the encoder does.
    public static func mp4WithoutCaptions(rung: String, output: String, startOffset: Double = 0) -> [String] {
        quiet + shift(startOffset) + LadderCommand.input(rung)
            + ["-map", "0:v", "-map", "0:a?", "-c", "copy", "-movflags", "+faststart", output]
    }

    /// `-itsoffset -startOffset` when there is an offset to take back.
    static func shift(_ startOffset: Double) -> [String] {
        guard startOffset.isFinite, startOffset > 0.0005, startOffset < 10 else { return [] }
        return ["-itsoffset", String(format: "-%.6f", startOffset)]
    }

    /// HLS of one rung: fMP4 segments of about `segmentSeconds`, VOD playlist `index.m3u8`,
    /// `init.mp4` and `seg_00000.m4s`… in `directory` (run with `directory` as the working
    /// directory, so every name in the playlist is relative).
    public static func hls(rung: String, segmentSeconds: Int = 4) -> [String] {
        quiet + LadderCommand.input(rung) + ["-map", "0:v", "-map", "0:a?", "-c", "copy"] + hlsOutput(segmentSeconds: segmentSeconds)
    }

    /// The options and file name of an HLS output (after its `-map`s and codecs): fMP4 segments of
    /// about `segmentSeconds`, a VOD playlist; `index.m3u8`, `init.mp4` and `seg_00000.m4s`… in
    /// `directory`, or in the working directory when it is `nil`. The playlist names its files
    /// without a directory either way.
    public static func hlsOutput(into directory: String? = nil, segmentSeconds: Int = 4) -> [String] {
        let prefix = directory.map { "\($0)/" } ?? ""
        return [
            "-f", "hls", "-hls_time", String(segmentSeconds), "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
            "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", "\(prefix)seg_%05d.m4s", "\(prefix)index.m3u8",
        ]
    }

    /// The poster and the storyboard's sprite in one run (one ffmpeg start instead of two): the
    /// poster from `poster`, `at` seconds in, at most 1280 pixels wide; the sprite from
    /// `storyboardInput`. `atKeyframe`: `at` is a keyframe's time, so ffmpeg seeks to it and
    /// decodes that frame alone (else it decodes from the keyframe before up to `at`: up to a
    /// GOP of the best rung).
    public static func images(
        poster: String, at seconds: Double, atKeyframe: Bool, posterOutput: String, storyboard: Storyboard, storyboardInput: String,
        spriteOutput: String
    ) -> [String] {
        let seek = atKeyframe ? ["-noaccurate_seek", "-ss", String(format: "%.6f", seconds + 0.0005)] : ["-ss", String(format: "%.3f", seconds)]
        return quiet + seek + LadderCommand.input(poster) + LadderCommand.input(storyboardInput)
            + ["-map", "0:v:0", "-frames:v", "1", "-vf", "scale='min(1280,iw)':-2", "-q:v", "3", posterOutput]
            + ["-map", "1:v:0", "-vf", storyboard.spriteFilter, "-frames:v", "1", "-q:v", "5", spriteOutput]
    }

    /// 16 kHz mono WAV of the first audio track, for the transcriber.
    public static func speechAudio(input: MediaInput, output: String) -> [String] {
        quiet + input.arguments + ["-map", "0:a:0", "-vn", "-ac", "1", "-ar", "16000", "-f", "wav", output]
    }

    /// The still picture of an audio video: the waveform of the first 30 s of the sound (read no
    /// further, so a long file costs no more), 640×360.
    public static func audioPicture(input: MediaInput, output: String) -> [String] {
        quiet + ["-t", "30"] + input.arguments
            + ["-filter_complex", waveformGraph, "-map", "[v]", "-frames:v", "1", output]
    }

    /// The waveform drawn over a dark background (the page's colours).
    static var waveformGraph: String {
        "[0:a:0]showwavespic=s=640x360:split_channels=0:colors=0x60a5fa[w];color=c=0x0f172a:s=640x360:d=1[bg];[bg][w]overlay=format=auto[v]"
    }

    /// ISO 639-2 for the few languages Whisper names most (MP4 wants three letters).
    static func iso639_2(_ code: String) -> String {
        let table = ["en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld", "ja": "jpn", "zh": "zho", "ru": "rus"]
        return table[code] ?? (code.count == 3 ? code : "und")
    }
}

/// A storyboard: thumbnails every `interval` seconds tiled into one sprite, and the WebVTT that
/// maps each time range to its region (`storyboard.jpg#xywh=x,y,w,h`).
public struct Storyboard: Sendable, Equatable {
    public var interval: Double
    public var count: Int
    public var columns: Int
    public var tileWidth: Int
    public var tileHeight: Int

    /// At most 100 thumbnails 160 pixels wide, at least one second apart.
    public init(duration: Double, width: Int, height: Int, maximumTiles: Int = 100, tileWidth: Int = 160) {
        interval = max(1, (duration / Double(maximumTiles)).rounded(.up))
        count = max(1, Int(clampingRounded: (duration / interval).rounded(.up)))
        columns = min(10, count)
        self.tileWidth = tileWidth
        tileHeight = max(2, Int(clampingRounded: Double(tileWidth) * Double(height) / Double(max(1, width)) / 2) * 2)
    }

    public var rows: Int { (count + columns - 1) / columns }

    /// The filter that picks a frame every ``interval`` seconds and tiles them.
    public var spriteFilter: String {
        "fps=1/\(LadderCommand.number(interval)),scale=\(tileWidth):\(tileHeight),tile=\(columns)x\(rows)"
    }

    /// The WebVTT track; `image` is the sprite's URL relative to the track.
    public func track(duration: Double, image: String = "storyboard.jpg") -> String {
        var lines = ["WEBVTT", ""]
        for index in 0..<count {
            let start = Double(index) * interval
            let end = min(duration, start + interval)
            guard end > start else { break }
            let x = (index % columns) * tileWidth, y = (index / columns) * tileHeight
            lines += ["\(WebVTTTime.format(start)) --> \(WebVTTTime.format(end))", "\(image)#xywh=\(x),\(y),\(tileWidth),\(tileHeight)", ""]
        }
        return lines.joined(separator: "\n")
    }
}

