import ClipCutCore
import Foundation
import Logging
import Transcoder

/// A clip's media, made from its source video's renditions rather than its upload: each rung
/// smart-cut (``SmartCut``: the whole GOPs copied, the partial ones at the ends encoded), then
/// packaged as HLS and MP4 with its poster and storyboard like any video; the source's caption
/// tracks cut to the range and moved to the clip's timeline (and announced, so the clip's
/// transcript is searchable).
struct ClipPipeline: Sendable {
    let media: any MediaAccess
    let events: any EventReporter
    let settings: ProcessingSettings
    let logger: Logger

    func run(_ video: VideoSnapshot, origin: ClipOrigin) async throws -> (renditions: [Rendition], captionsPending: Bool) {
        let work = try Scratch(root: settings.scratchDirectory, videoId: video.id)
        defer { work.remove() }
        guard let source = try await media.video(origin.videoId), let qualities = source.renditions, !qualities.isEmpty else {
            throw JobFailure.permanent("The video this clip is cut from was deleted before the clip was made.")
        }
        let length = origin.to - origin.from
        let limit = MediaPolicy.toolTimeLimit(duration: length, factor: settings.toolTimeFactor)
        try await media.deleteMedia(of: video.id)  // an earlier attempt's files: start clean
        try await events.publish(VideoTranscribingEvent(videoId: video.id))
        try await events.publish(VideoTranscodingEvent(videoId: video.id, rungs: qualities, durationSeconds: length))

        var cuts: [SmartCut.Cut] = []
        for quality in qualities {
            let name = MediaLayout.renditionMP4(source.id, quality: quality)
            let rendition = try await input(name, work: work, limit: limit)
            let info = try await RenditionInfo.read(named: name, media: media, input: rendition, around: origin.from, to: origin.to, timeLimit: limit)
            let stream = info.stream
            let maxRate = Ladder.standard.first { "\($0.shortSide)p" == quality }?.maxRate ?? 400_000
            let rung = Rung(
                name: quality, width: stream.width, height: stream.height, maxRate: maxRate, bufferSize: maxRate * 2,
                frameRate: stream.frameRate, isRemux: false)
            let pieces = work.path("pieces-\(quality)"), hls = work.path("hls-\(quality)")
            for directory in [pieces, hls] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            cuts.append(SmartCut.Cut(
                rung: rung, rendition: rendition, info: info, directory: pieces, output: work.path("\(quality).clip.mp4"), hlsDirectory: hls))
        }
        guard let first = cuts.first else { throw JobFailure.permanent("The video this clip is cut from has no rendition.") }
        // Cut first, so that each rung's join writes them into its MP4: no remux after. To the
        // picture's end too: a range may end past the renditions' last frame.
        let captions = try await captions(
            of: source, from: origin.from, to: min(origin.to, first.info.duration), hasAudio: first.info.hasAudio, work: work)
        await progress(video.id, rung: nil, percent: 0, log: "cutting \(qualities.joined(separator: ", "))")
        let (outcomes, _) = try await SmartCut(options: settings.encoding, timeLimit: limit).run(
            cuts, from: origin.from, to: origin.to, captions: captions.tracks.map { ($0.path, $0.language, $0.label) })
        let encoded = outcomes.reduce(0) { $0 + $1.encodedSeconds }
        for (index, cut) in cuts.enumerated() {
            await progress(video.id, rung: cut.rung.name, percent: 60 + Double(index) / Double(cuts.count) * 30, log: "storing \(cut.rung.name)")
            try await storeHLS(in: cut.hlsDirectory ?? "", rung: cut.rung.name, videoId: video.id)
            if case .file(let path) = cut.rendition { try? FileManager.default.removeItem(atPath: path) }
        }
        let rungs = cuts.map(\.rung)
        let clips = Dictionary(uniqueKeysWithValues: cuts.map { ($0.rung.name, $0.output) })
        logger.info("clip cut", metadata: ["videoId": "\(video.id)", "encodedSeconds": "\(encoded)", "seconds": "\(length)"])

        let best = first.output
        // The clip's MP4 is ClipCut's own file, not an upload: its caption tracks count as
        // streams, and an owner may have added many languages to the source.
        var policy = settings.policy
        policy.maximumStreams = max(policy.maximumStreams, 2 + captions.tracks.count)
        let probe = try await Self.inspect(best, policy: policy)
        let playlists = try Dictionary(uniqueKeysWithValues: qualities.map { quality in
            (quality, HLSMediaPlaylist.parse(try String(contentsOfFile: work.path("hls-\(quality)/index.m3u8"), encoding: .utf8)))
        })
        let packager = Packager(
            media: media, events: events, videoId: video.id, work: work, probe: probe, toolTimeLimit: limit, logger: logger)
        let renditions = try await packager.package(rungs: rungs, playlists: playlists, captions: captions, madeMP4s: clips)
        guard try await media.video(video.id) != nil else {
            try await media.deleteMedia(of: video.id)
            throw JobFailure.permanent("The video was deleted.")
        }
        try await events.publish(captions.event(video.id))
        try await events.publish(VideoReadyEvent(videoId: video.id, renditions: renditions, durationSeconds: probe.duration))
        await progress(video.id, rung: nil, percent: 100, log: "ready: \(qualities.joined(separator: ", ")) (\(String(format: "%.1f", encoded)) s encoded)")
        return (renditions, false)
    }

    /// The clip's own MP4 as the upload policy sees it: read from its `moov` (``MovieIndex``),
    /// by ffprobe when the boxes do not add up.
    static func inspect(_ path: String, policy: MediaPolicy) async throws -> MediaProbe {
        guard let index = MovieIndex.read(file: path), let probe = MediaProbe(index: index) else {
            return try await SourceInspection.probe(.file(path), policy: policy)
        }
        do {
            try policy.check(probe)
        } catch let rejection as MediaProbe.Rejection {
            throw JobFailure.permanent(rejection.description)
        }
        return probe
    }

    /// Where ffmpeg reads a rendition: over HTTP with a grant for that file (only the ranges the
    /// cut needs travel: a 10-minute 1080p rendition is not fetched whole for 10 s of it), else
    /// downloaded first.
    private func input(_ name: String, work: Scratch, limit: Duration) async throws -> MediaInput {
        if let network = media.mediaInput(named: name, validFor: limit * 3 + .seconds(600)) { return network }
        let path = work.path("source-\((name as NSString).lastPathComponent)-\(UUID().uuidString.prefix(6)).mp4")
        guard try await media.downloadMedia(named: name, to: path) else {
            throw JobFailure.permanent("The video this clip is cut from lost a rendition.")
        }
        return .file(path)
    }

    /// The clip's HLS of one rung (written by the smart cut's joining run into `directory`), stored as the rung's files.
    private func storeHLS(in directory: String, rung: String, videoId: VideoID) async throws {
        let playlist = try String(contentsOfFile: "\(directory)/index.m3u8", encoding: .utf8)
        for file in [HLSMediaPlaylist.parse(playlist).initURI] + HLSMediaPlaylist.parse(playlist).segments.map(\.uri) {
            _ = try await media.store("\(directory)/\(file)", as: MediaLayout.hlsFile(videoId, path: "\(rung)/\(file)"), videoId: videoId, metadata: [:])
        }
        try await media.store(bytes: Array(playlist.utf8), as: MediaLayout.hlsFile(videoId, path: "\(rung)/index.m3u8"), videoId: videoId)
    }

    /// The source's caption tracks cut to the clip; none when the source had none.
    private func captions(of source: VideoSnapshot, from: Double, to: Double, hasAudio: Bool, work: Scratch) async throws -> CaptionOutcome {
        guard hasAudio else { return .noAudioTrack }
        var tracks: [CaptionTrack] = []
        for track in source.captionTracks ?? [] {
            let original = work.path("source-\(track.language).vtt")
            guard try await media.downloadMedia(named: MediaLayout.captions(source.id, language: track.language), to: original) else { continue }
            let text = (try? String(contentsOfFile: original, encoding: .utf8)) ?? ""
            let cues = WebVTTCues.parse(text).map { CaptionCue(start: $0.start, end: $0.end, text: $0.text) }
            let vtt = CaptionFile.webVTT(CaptionClip.cut(cues, from: from, to: to))
            let path = work.path("\(track.language).vtt")
            try vtt.write(toFile: path, atomically: true, encoding: .utf8)
            tracks.append(CaptionTrack(path: path, language: track.language, text: vtt, isTranslation: track.label.hasSuffix("(translation)")))
        }
        return tracks.isEmpty ? .noSpeech : .ready(tracks: tracks, model: nil, probability: nil)
    }

    private func progress(_ videoId: VideoID, rung: String?, percent: Double, log: String) async {
        await events.progress(VideoProgressEvent(videoId: videoId, stage: .transcoding, rung: rung, percent: percent, logLine: log))
    }
}
