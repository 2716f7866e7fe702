import ClipCutCore
import Foundation
import Logging
import Transcoder

/// Packages a video whose rungs are stored as HLS segments, by remux only: the MP4 download of
/// each rung (with its `mov_text` caption tracks), the final master playlist, poster and
/// storyboard; stores them in GridFS.
struct Packager: Sendable {
    let media: any MediaAccess
    let events: any EventReporter
    let videoId: VideoID
    let work: Scratch
    let probe: MediaProbe
    /// The captions are in the picture already: the track is offered but not shown by default.
    var captionsBurned = false
    /// How long one packaging run of ffmpeg may take.
    let toolTimeLimit: Duration
    let logger: Logger

    /// What ffprobe says about an encoded rung.
    struct EncodedStream: Sendable {
        var width: Int
        var height: Int
        var profile: String?
        var level: Int?
        var bitRate: Int?
        var frameRate: Double
    }

    /// An encoded rung's picture, read from its `moov` (``MovieIndex``), or by ffprobe when the
    /// boxes do not add up.
    static func inspect(_ path: String, timeLimit: Duration) async throws -> EncodedStream {
        if let video = MovieIndex.read(file: path)?.video, let stream = EncodedStream(index: video) { return stream }
        let data = try await runTool(Programs.ffprobe, [
            "-v", "error", "-select_streams", "v:0", "-of", "json", "-show_entries", "stream=width,height,profile,level,bit_rate,avg_frame_rate",
        ] + MediaInput.file(path).arguments, timeLimit: timeLimit)
        let stream = ((try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["streams"] as? [[String: Any]])?.first ?? [:]
        return EncodedStream(ffprobe: stream)
    }

    /// The MP4 of each rung from its HLS segments by remux (never a second encode), with the
    /// captions as `mov_text`; the final master with measured bit rates and the subtitles; poster
    /// and storyboard. The segments and ended playlists are stored already (``SegmentPublisher``).
    /// `madeMP4s`: rungs whose MP4, captions included, a run has written already (a clip's join):
    /// stored as they are, with no remux.
    func package(
        rungs: [Rung], playlists: [String: HLSMediaPlaylist], captions: CaptionOutcome, madeMP4s: [String: String] = [:]
    ) async throws -> [Rendition] {
        var renditions: [Rendition] = []
        var variants: [HLSMasterPlaylist.Variant] = []
        var downloads: [String: String] = [:]
        for (index, rung) in rungs.enumerated() {
            guard let playlist = playlists[rung.name], !playlist.segments.isEmpty else {
                throw JobFailure.transient("The encoder wrote no \(rung.name).")
            }
            await events.progress(VideoProgressEvent(
                videoId: videoId, stage: .packaging, rung: rung.name, percent: Double(index) / Double(rungs.count) * 100,
                logLine: "packaging \(rung.name): MP4 from its segments"))
            let directory = work.path("hls-\(rung.name)")
            let download: String
            if let made = madeMP4s[rung.name] { download = made } else { download = try await mp4(of: rung, playlist: playlist, captions: captions) }
            downloads[rung.name] = download
            let stream = try await Self.inspect(download, timeLimit: toolTimeLimit)
            let size = try await media.store(
                download, as: MediaLayout.renditionMP4(videoId, quality: rung.name), videoId: videoId,
                metadata: ["quality": rung.name, "width": String(stream.width), "height": String(stream.height),
                           "bitrate": String(stream.bitRate ?? rung.maxRate)])
            let audioCodec = probe.audio == nil ? "" : ",mp4a.40.2"
            let declared = (try? Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(playlist.initURI)")))
                .flatMap { HLSMasterPlaylist.avcCodec(initSegment: [UInt8]($0)) }
            variants.append(HLSMasterPlaylist.Variant(
                name: rung.name, bandwidth: Self.peakBitRate(playlist, in: directory),
                averageBandwidth: stream.bitRate.map { $0 + (probe.audio == nil ? 0 : 128_000) },
                width: stream.width, height: stream.height, frameRate: stream.frameRate,
                codecs: (declared ?? HLSMasterPlaylist.avcCodec(profile: stream.profile, level: stream.level)) + audioCodec,
                uri: "\(rung.name)/index.m3u8"))
            let rendition = Rendition(quality: rung.name, width: stream.width, height: stream.height, bitrate: stream.bitRate, size: Int64(size))
            renditions.append(rendition)
            try await events.publish(RenditionReadyEvent(videoId: videoId, rendition: rendition))
        }
        var subtitles: [HLSMasterPlaylist.Subtitles] = []
        if case .ready(let tracks, _, _, _) = captions {
            subtitles = try await storeCaptions(tracks)
        }
        let master = HLSMasterPlaylist(variants: variants, subtitles: subtitles)
        try await media.store(bytes: Array(master.text.utf8), as: MediaLayout.hlsMaster(videoId), videoId: videoId)
        try await storeImages(rungs: rungs, outputs: downloads)
        return renditions
    }

    /// The rung's MP4 remuxed from its HLS segments, the picture delay taken back, with the captions.
    private func mp4(of rung: Rung, playlist: HLSMediaPlaylist, captions: CaptionOutcome) async throws -> String {
        let directory = work.path("hls-\(rung.name)")
        let joined = work.path("\(rung.name).joined.mp4")
        try Self.join(playlist, in: directory, to: joined)
        defer { try? FileManager.default.removeItem(atPath: joined) }
        let offset = try await Self.pictureDelay(playlist, in: directory, joined: joined, timeLimit: toolTimeLimit)
        let download = work.path("\(rung.name).mp4")
        if case .ready(let tracks, _, _, _) = captions, !tracks.isEmpty {
            _ = try await tool(Packaging.mp4WithCaptions(
                rung: joined, tracks: tracks.map { ($0.path, $0.language, $0.label) }, output: download, startOffset: offset))
        } else {
            _ = try await tool(Packaging.mp4WithoutCaptions(rung: joined, output: download, startOffset: offset))
        }
        return download
    }

    /// The rung as one fragmented MP4: the init segment, then every segment in order.
    static func join(_ playlist: HLSMediaPlaylist, in directory: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let output = FileHandle(forWritingAtPath: path) else {
            throw JobFailure.transient("The processing server could not write its scratch files.")
        }
        defer { try? output.close() }
        for name in [playlist.initURI] + playlist.segments.map(\.uri) {
            guard let input = FileHandle(forReadingAtPath: "\(directory)/\(name)") else {
                throw JobFailure.transient("A segment of the encoded video is missing.")
            }
            defer { try? input.close() }
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
            }
        }
    }

    /// How much later the picture starts than the sound in a rung's segments (the AAC priming and
    /// the B-frame delay that an MP4's edit list hides): the remux takes it back. Read from the
    /// boxes of the init and first segments (``FragmentTiming``), ffprobe of the joined file when
    /// they are not as expected.
    static func pictureDelay(_ playlist: HLSMediaPlaylist, in directory: String, joined: String, timeLimit: Duration) async throws -> Double {
        if let first = playlist.segments.first,
           let initBytes = FileManager.default.contents(atPath: "\(directory)/\(playlist.initURI)"),
           let firstBytes = FileManager.default.contents(atPath: "\(directory)/\(first.uri)"),
           let delay = FragmentTiming.pictureDelay(initSegment: [UInt8](initBytes), firstSegment: [UInt8](firstBytes)) {
            return delay
        }
        return try await pictureStart(joined, timeLimit: timeLimit)
    }

    /// ffprobe's view of ``pictureDelay(_:in:joined:timeLimit:)``.
    static func pictureStart(_ path: String, timeLimit: Duration) async throws -> Double {
        let data = try await runTool(Programs.ffprobe, [
            "-v", "error", "-protocol_whitelist", "file,pipe", "-of", "json", "-show_entries", "stream=codec_type,start_time", path,
        ], timeLimit: timeLimit)
        let streams = ((try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["streams"] as? [[String: Any]]) ?? []
        func start(_ type: String) -> Double? {
            streams.first { $0["codec_type"] as? String == type }.flatMap { ($0["start_time"] as? String).flatMap(Double.init) }
        }
        guard let picture = start("video") else { return 0 }
        return max(0, picture - min(picture, start("audio") ?? picture))
    }

    /// The variant's BANDWIDTH: the highest bit rate of any one segment.
    static func peakBitRate(_ playlist: HLSMediaPlaylist, in directory: String) -> Int {
        var peak = 0
        for segment in playlist.segments where segment.duration > 0 {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(segment.uri)")[.size] as? Int) ?? 0
            peak = max(peak, Int(clampingRounded: Double(size * 8) / segment.duration))
        }
        return max(peak, 1)
    }

    /// The caption tracks, each with its one-segment HLS subtitle playlist; the first (the
    /// speech's own language) is the default.
    func storeCaptions(_ tracks: [CaptionTrack]) async throws -> [HLSMasterPlaylist.Subtitles] {
        try await Self.storeCaptions(tracks, media: media, videoId: videoId, duration: probe.duration, captionsBurned: captionsBurned)
    }

    /// Stores each track (`captions/<language>.vtt`, and for HLS `subs/<language>.vtt` with its
    /// playlist); returns the master's subtitles group, the first track the default unless the
    /// captions are burnt into the picture.
    static func storeCaptions(
        _ tracks: [CaptionTrack], media: any MediaAccess, videoId: VideoID, duration: Double, captionsBurned: Bool
    ) async throws -> [HLSMasterPlaylist.Subtitles] {
        var subtitles: [HLSMasterPlaylist.Subtitles] = []
        for track in tracks {
            let language = track.language
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: track.path)))
            try await media.store(bytes: bytes, as: MediaLayout.captions(videoId, language: language), videoId: videoId)
            try await media.store(bytes: bytes, as: MediaLayout.hlsFile(videoId, path: "subs/\(language).vtt"), videoId: videoId)
            let playlist = HLSSubtitleGroup.playlist(vttURI: "\(language).vtt", duration: duration)
            try await media.store(bytes: Array(playlist.utf8), as: MediaLayout.hlsFile(videoId, path: "subs/\(language).m3u8"), videoId: videoId)
            subtitles.append(HLSMasterPlaylist.Subtitles(
                language: language, name: track.label, uri: "subs/\(language).m3u8", isDefault: !captionsBurned && subtitles.isEmpty))
        }
        return subtitles
    }

    /// Poster from the best rung at its first keyframe from a tenth of the duration on (a
    /// keyframe decodes alone; a tenth in when there is none before the end); storyboard from the
    /// smallest rung; both in one ffmpeg run.
    func storeImages(rungs: [Rung], outputs: [String: String]) async throws {
        guard let best = rungs.first.flatMap({ outputs[$0.name] }), let smallest = rungs.last, let small = outputs[smallest.name] else { return }
        await events.progress(VideoProgressEvent(videoId: videoId, stage: .packaging, percent: 100, logLine: "poster and storyboard"))
        let poster = work.path("poster.jpg"), sprite = work.path("storyboard.jpg")
        let storyboard = Storyboard(duration: probe.duration, width: smallest.width, height: smallest.height)
        let keyframe = Self.posterKeyframe(MovieIndex.read(file: best)?.video, duration: probe.duration)
        _ = try await tool(Packaging.images(
            poster: best, at: keyframe ?? Self.posterTarget(duration: probe.duration), atKeyframe: keyframe != nil, posterOutput: poster,
            storyboard: storyboard, storyboardInput: small, spriteOutput: sprite))
        _ = try await media.store(poster, as: MediaLayout.poster(videoId), videoId: videoId, metadata: [:])
        // A video shorter than one thumbnail's interval (a single frame) gives ffmpeg's fps filter
        // nothing to pick: no storyboard then, rather than a failed job.
        guard FileManager.default.fileExists(atPath: sprite) else {
            logger.notice("no storyboard: too short", metadata: ["videoId": "\(videoId)", "duration": "\(probe.duration)"])
            return
        }
        _ = try await media.store(sprite, as: MediaLayout.storyboardImage(videoId), videoId: videoId, metadata: [:])
        try await media.store(bytes: Array(storyboard.track(duration: probe.duration).utf8), as: MediaLayout.storyboardTrack(videoId), videoId: videoId)
    }

    /// Where the poster is taken when no keyframe suits: a tenth of the way in, before the end.
    static func posterTarget(duration: Double) -> Double {
        min(duration * 0.1, max(0, duration - 0.1))
    }

    /// The first keyframe of `video` from ``posterTarget(duration:)`` on, a tenth of a second
    /// before the end at the latest; `nil` when there is none (or no index).
    static func posterKeyframe(_ video: MovieIndex.Track?, duration: Double) -> Double? {
        guard let video else { return nil }
        let target = posterTarget(duration: duration), last = max(target, duration - 0.1)
        return zip(video.times, video.isKeyframe).compactMap { $1 && $0 >= target - 0.0005 && $0 <= last ? $0 : nil }.min()
    }

    private func tool(_ arguments: [String], in directory: String? = nil) async throws -> Data {
        do {
            return try await runTool(Programs.ffmpeg, arguments, workingDirectory: directory, timeLimit: toolTimeLimit)
        } catch let failure as ToolFailure {
            try Task.checkCancellation()
            logger.error("packaging failed", metadata: ["videoId": "\(videoId)", "error": "\(failure)"])
            throw JobFailure.transient("Packaging failed.")
        }
    }
}

extension Packager.EncodedStream {
    /// The fields of a picture track read from its `moov` (``MovieIndex``); `nil` without a size.
    init?(index video: MovieIndex.Track) {
        guard let width = video.width, let height = video.height, width > 0, height > 0 else { return nil }
        self.init(width: width, height: height, profile: video.profile, level: video.level, bitRate: video.bitRate, frameRate: video.frameRate ?? 25)
    }

    /// The fields of one stream of ffprobe's JSON (`-show_entries stream=width,height,profile,level,bit_rate,avg_frame_rate`).
    init(ffprobe stream: [String: Any]) {
        self.init(
            width: stream["width"] as? Int ?? 0, height: stream["height"] as? Int ?? 0, profile: stream["profile"] as? String,
            level: stream["level"] as? Int, bitRate: (stream["bit_rate"] as? String).flatMap { Int($0) },
            frameRate: MediaProbe.frameRate(stream["avg_frame_rate"] as? String) ?? 25)
    }
}
