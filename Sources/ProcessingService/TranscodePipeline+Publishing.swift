import ClipCutCore
import Foundation
import Primitives
import Synchronization
import Transcoder

/// The last transcoding percent reported, shared with the ``SegmentPublisher`` so the progress
/// message that makes a video playable does not move the bar back.
final class PercentGauge: Sendable {
    private let current = Mutex(0.0)

    var value: Double { current.withLock { $0 } }

    func set(_ percent: Double) { current.withLock { $0 = max($0, percent) } }
}

extension TranscodePipeline {
    /// Makes every rung as HLS segments from `source` and publishes them while they are made: rungs the
    /// source can be copied into are cut from it first (the video plays from its own encoding
    /// within seconds), then, once that has made the video playable (at most
    /// ``playableWaitLimit`` later), one ffmpeg encodes the others from a single decode. Returns each
    /// rung's finished playlist (its segments are in `hls-<rung>` in the scratch directory).
    ///
    /// - Parameters:
    ///   - earlier: the playlists an earlier attempt stored, by rung; `republish`: that attempt
    ///     made the video playable (its master is stored), so its segments are replaced in place.
    ///   - onPlayable: called once the video plays (its master is stored).
    ///   - captions: the caption tracks once they are done; they join the master then.
    func encodeAndPublish(
        _ videoId: VideoID, probe: MediaProbe, source: MediaInput, rungs: [Rung], work: Scratch, burnSubtitles: String?,
        keyframesFromSource: Bool, stillPicture: String?, earlier: [String: HLSMediaPlaylist], republish: Bool, onPlayable: @escaping @Sendable () -> Void = {},
        captions: @escaping @Sendable () -> [CaptionTrack]? = { nil }
    ) async throws -> [String: HLSMediaPlaylist] {
        let copied = burnSubtitles == nil ? rungs.filter(\.isRemux) : []
        let encoded = rungs.filter { rung in !copied.contains { $0.name == rung.name } }
        let gauge = PercentGauge()
        let opened = AsyncLatch()
        let publisher = SegmentPublisher(
            media: media, events: events, videoId: videoId, hasAudio: probe.audio != nil, logger: logger, currentPercent: { gauge.value },
            onPlayable: {
                opened.open()
                onPlayable()
            }, duration: probe.duration, captions: captions)
        for rung in rungs {
            let isCopied = copied.contains { $0.name == rung.name }
            await publisher.add(
                rung, directory: work.path("hls-\(rung.name)"), opensPlayback: isCopied || copied.isEmpty, previous: earlier[rung.name])
        }
        if republish { await publisher.adoptPublishedMaster() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await publisher.watch() }
            defer { group.cancelAll() }
            for rung in copied {
                let directory = work.path("hls-\(rung.name)")
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                await report(videoId, .transcoding, percent: 0, log: "\(rung.name) (remux): cut from the upload's own encoding")
                try await ffmpeg(HLSSegmenting.copy(source: source, hasAudio: probe.audio != nil, directory: directory), videoId: videoId, probe: probe)
                await events.progress(VideoProgressEvent(videoId: videoId, stage: .transcoding, rung: rung.name, percent: 100))
            }
            if !encoded.isEmpty {
                if !copied.isEmpty {
                    // The copied rung's first segments are stored and read while nothing else
                    // runs: an encode started at once takes both cores from the stores, the
                    // database and the first viewer (standard 60 s upload in scripts/bench
                    // firstplay: playable 0.6-1.4 s after the copy, first frame 2.2-2.4 s).
                    await Self.firstOf({ try await opened.wait() }, orAfter: Self.playableWaitLimit)
                    try Task.checkCancellation()
                }
                _ = try await encode(
                    videoId, probe: probe, source: source, rungs: rungs, work: work, burnSubtitles: burnSubtitles, keyframesFromSource: keyframesFromSource,
                    stillPicture: stillPicture, gauge: gauge)
            }
            group.cancelAll()
            try await group.waitForAll()
            do {
                return try await publisher.finish()
            } catch let error as MediaAccessError where error.isMissing {
                // upload-service refuses media for a video that is gone: take back what was stored.
                guard try await media.video(videoId) == nil else { throw error }
                try await media.deleteMedia(of: videoId)
                throw JobFailure.permanent("The video was deleted.")
            }
        }
    }

    /// How long the encode waits for a copied rung to make the video playable: stores that keep
    /// failing must not hold the ladder back.
    static let playableWaitLimit = Duration.seconds(10)

    /// The playlists a previous attempt stored for these rungs, when it had made the video
    /// playable (its master is stored); `nil` otherwise.
    func publishedEarlier(_ videoId: VideoID, rungs: [Rung]) async throws -> [String: HLSMediaPlaylist]? {
        let scratch = try Scratch(root: settings.scratchDirectory, videoId: videoId)
        defer { scratch.remove() }
        guard try await media.downloadMedia(named: MediaLayout.hlsMaster(videoId), to: scratch.path("master.m3u8")) else { return nil }
        var playlists: [String: HLSMediaPlaylist] = [:]
        for rung in rungs {
            let path = scratch.path("\(rung.name).m3u8")
            guard try await media.downloadMedia(named: MediaLayout.hlsFile(videoId, path: "\(rung.name)/index.m3u8"), to: path) else { continue }
            let playlist = HLSMediaPlaylist.parse(try String(contentsOfFile: path, encoding: .utf8))
            if !playlist.segments.isEmpty { playlists[rung.name] = playlist }
        }
        logger.info("replacing an earlier attempt's segments in place", metadata: [
            "videoId": "\(videoId)", "rungs": "\(playlists.mapValues(\.segments.count))",
        ])
        return playlists
    }
}
