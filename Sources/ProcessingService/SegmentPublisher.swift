import ClipCutCore
import Foundation
import Logging
import Transcoder

/// Publishes a video's HLS while ffmpeg writes it: every segment ffmpeg has closed is stored
/// through upload-service, then the rung's `EVENT` playlist listing what is stored; the master
/// playlist once the rungs that open playback have their first segment (the copied rung alone
/// when there is one, else every rung), rewritten as other rungs join. The first master makes
/// the video `playable` (`video.playable`, and a progress message with `playableSeconds`).
/// Caption tracks that are done before the encode join the master as they arrive.
///
/// A job that follows an attempt which already published (a retry, or a take-over after a worker
/// died) replaces the stored segments in place instead of deleting them first: the stored
/// playlists stay up (the video keeps playing) and grow again only once the new attempt has passed
/// them. Segment boundaries are fixed by the keyframe times, so a segment of the new attempt
/// covers exactly the time of the stored one; if a length differs all the same (the ladder was
/// decided differently), the stored media is deleted and publishing starts afresh.
actor SegmentPublisher {
    private let media: any MediaAccess
    private let events: any EventReporter
    private let videoId: VideoID
    private let hasAudio: Bool
    private let logger: Logger
    /// The transcoding percent shown when the video becomes playable (progress never goes back).
    private let currentPercent: @Sendable () -> Double
    /// Called once, when the video is announced playable.
    private let onPlayable: @Sendable () -> Void
    /// The caption tracks once transcription is done (`nil` until then); they join the master
    /// when they arrive.
    private let captions: @Sendable () -> [CaptionTrack]?
    private let duration: Double
    /// The master's subtitles group, once the captions are stored.
    private var subtitles: [HLSMasterPlaylist.Subtitles] = []

    private struct RungState {
        var rung: Rung
        var directory: String
        var published: [HLSMediaPlaylist.Segment] = []
        var initStored = false
        /// What an earlier attempt stored and is still served.
        var previous: HLSMediaPlaylist?
        var variant: HLSMasterPlaylist.Variant?
    }

    private var rungs: [RungState] = []
    /// Rungs that must have a segment before the first master.
    private var opening: Set<String> = []
    /// The rungs the stored master lists.
    private var masterRungs: [String] = []
    private var announced = false
    /// Set when the master is first stored (or was stored by an earlier attempt).
    private(set) var playable = false

    init(
        media: any MediaAccess, events: any EventReporter, videoId: VideoID, hasAudio: Bool, logger: Logger,
        currentPercent: @escaping @Sendable () -> Double = { 0 }, onPlayable: @escaping @Sendable () -> Void = {},
        duration: Double = 0, captions: @escaping @Sendable () -> [CaptionTrack]? = { nil }
    ) {
        self.onPlayable = onPlayable
        self.duration = duration
        self.captions = captions
        self.media = media
        self.events = events
        self.videoId = videoId
        self.hasAudio = hasAudio
        self.logger = logger
        self.currentPercent = currentPercent
    }

    /// Adds a rung written into `directory`; `opensPlayback` rungs alone gate the first master.
    func add(_ rung: Rung, directory: String, opensPlayback: Bool, previous: HLSMediaPlaylist?) {
        rungs.append(RungState(rung: rung, directory: directory, previous: previous))
        if opensPlayback { opening.insert(rung.name) }
        if previous != nil && !masterRungs.contains(rung.name) { masterRungs.append(rung.name) }
    }

    /// An earlier attempt's master is stored: the video is playable already.
    func adoptPublishedMaster() async {
        playable = true
        await announce()
    }

    /// Publishes until cancelled, a pass every `interval` (every 50 ms until the video is
    /// playable: the first segment is what a viewer waits for); one last pass is the caller's
    /// (``publishPending()`` after ffmpeg exits). A failed pass is tried again at the next.
    func watch(every interval: Duration = .milliseconds(200)) async {
        while !Task.isCancelled {
            var more = false
            do {
                // Until the video plays, a pass stores one segment per rung and then looks at the
                // master: a copied rung has all its segments at once, and the first is what counts.
                more = try await publishPending(segmentsPerRung: playable ? .max : 1)
            } catch is CancellationError {
                return
            } catch let error as MediaAccessError where error.isMissing {
                // The video was deleted: nothing more is published (``finish()`` says so to the job).
                logger.notice("segment publishing stopped: the video is gone", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
                return
            } catch {
                logger.notice("segment publishing deferred", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
            }
            if !more { try? await Task.sleep(for: playable ? interval : .milliseconds(50)) }
        }
    }

    /// One pass: new segments of every rung stored (at most `segmentsPerRung` each), playlists
    /// and master brought up to date; returns whether segments are left for another pass.
    @discardableResult
    func publishPending(segmentsPerRung: Int = .max) async throws -> Bool {
        var more = false
        for index in rungs.indices {
            more = try await publish(rungAt: index, atMost: segmentsPerRung) || more
        }
        var captionsJoined = false
        if playable, subtitles.isEmpty, let tracks = captions(), !tracks.isEmpty {
            subtitles = try await Packager.storeCaptions(tracks, media: media, videoId: videoId, duration: duration, captionsBurned: false)
            captionsJoined = true
        }
        try await updateMaster(force: captionsJoined)
        return more
    }

    /// The rungs' playlists as ffmpeg finished them, ended, replacing the stored ones; returns
    /// them by rung (the packager joins their segments into the MP4s).
    func finish() async throws -> [String: HLSMediaPlaylist] {
        try await publishPending()
        var finished: [String: HLSMediaPlaylist] = [:]
        for index in rungs.indices {
            var playlist = HLSMediaPlaylist(segments: rungs[index].published, ended: true)
            let local = try Self.localPlaylist(rungs[index].directory)
            guard local.ended, local.segments == playlist.segments, !playlist.segments.isEmpty else {
                throw JobFailure.transient("The encoder did not finish the \(rungs[index].rung.name) segments.")
            }
            playlist.ended = true
            try await media.store(
                bytes: Array(playlist.text.utf8), as: MediaLayout.hlsFile(videoId, path: "\(rungs[index].rung.name)/index.m3u8"),
                videoId: videoId)
            rungs[index].previous = nil
            finished[rungs[index].rung.name] = playlist
        }
        return finished
    }

    /// Seconds every listed rung can play.
    var playableSeconds: Double {
        let listed = rungs.filter { masterRungs.contains($0.rung.name) }
        return listed.map { max(HLSMediaPlaylist(segments: $0.published).duration, $0.previous?.duration ?? 0) }.min() ?? 0
    }

    /// Stores up to `limit` new segments of a rung and its playlist; returns whether more are waiting.
    private func publish(rungAt index: Int, atMost limit: Int = .max) async throws -> Bool {
        let state = rungs[index]
        let local = try Self.localPlaylist(state.directory)
        guard local.segments.count > state.published.count else { return false }
        let name = state.rung.name
        if !state.initStored {
            _ = try await media.store("\(state.directory)/\(local.initURI)", as: hls("\(name)/init.mp4"), videoId: videoId, metadata: [:])
            rungs[index].initStored = true
            rungs[index].variant = try await variant(for: state.rung, initSegment: "\(state.directory)/\(local.initURI)")
        }
        let end = state.published.count + min(limit, local.segments.count - state.published.count)
        for position in state.published.count..<end {
            let segment = local.segments[position]
            if let previous = rungs[index].previous, position < previous.segments.count,
               abs(previous.segments[position].duration - segment.duration) > 0.02 || previous.segments[position].uri != segment.uri {
                try await startAfresh(because: "\(name) segment \(position) is \(segment.duration) s, was \(previous.segments[position].duration) s")
                return try await publish(rungAt: index, atMost: limit)
            }
            _ = try await media.store("\(state.directory)/\(segment.uri)", as: hls("\(name)/\(segment.uri)"), videoId: videoId, metadata: [:])
            rungs[index].published.append(segment)
        }
        // A stored playlist from an earlier attempt stays until this one has more to list.
        let published = rungs[index].published
        let more = local.segments.count > published.count
        if let previous = rungs[index].previous, published.count <= previous.segments.count { return more }
        rungs[index].previous = nil
        try await media.store(bytes: Array(HLSMediaPlaylist(segments: published).text.utf8), as: hls("\(name)/index.m3u8"), videoId: videoId)
        return more
    }

    /// The master lists every rung with a stored segment, best first; first stored once the
    /// opening rungs are in.
    private func updateMaster(force: Bool = false) async throws {
        let ready = rungs.filter { !$0.published.isEmpty || $0.previous != nil }.map(\.rung.name)
        guard opening.isSubset(of: Set(ready)) || (!masterRungs.isEmpty && ready.count > masterRungs.count) else { return }
        guard ready != masterRungs || !playable || force else { return }
        let variants = rungs.filter { ready.contains($0.rung.name) }.compactMap(\.variant)
        guard variants.count == ready.count else { return }  // a rung from an earlier attempt not re-encoded yet keeps its entry
        let master = HLSMasterPlaylist(variants: variants, subtitles: subtitles)
        try await media.store(bytes: Array(master.text.utf8), as: MediaLayout.hlsMaster(videoId), videoId: videoId)
        masterRungs = ready
        playable = true
        await announce()
    }

    /// `video.playable` once per attempt, and the progress message the page starts playing on.
    private func announce() async {
        guard !announced else { return }
        announced = true
        defer { onPlayable() }  // after the messages: what waits for playable starts once it is announced
        let seconds = playableSeconds
        do {
            try await events.publish(VideoPlayableEvent(videoId: videoId, rungs: masterRungs, playableSeconds: seconds))
        } catch {
            logger.warning("video.playable not published", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
        }
        await events.progress(VideoProgressEvent(
            videoId: videoId, stage: .transcoding, rungs: masterRungs, percent: currentPercent(),
            logLine: "playable: \(masterRungs.joined(separator: ", ")) while the rest is encoded", playableSeconds: seconds))
        logger.info("video playable", metadata: ["videoId": "\(videoId)", "rungs": "\(masterRungs)"])
    }

    /// The stored media no longer matches this attempt: delete it and publish everything again.
    private func startAfresh(because reason: String) async throws {
        logger.notice("stored segments differ from this attempt; publishing afresh", metadata: ["videoId": "\(videoId)", "reason": "\(reason)"])
        try await media.deleteMedia(of: videoId)
        for index in rungs.indices {
            rungs[index].published = []
            rungs[index].initStored = false
            rungs[index].previous = nil
        }
        masterRungs = []
        playable = false
    }

    /// The master entry of a rung: its size, the codec string its init segment declares (read
    /// in place: an ffprobe here would cost a tenth of a second before the first play), the
    /// rung's caps as bandwidth until the ready video's master gives measured figures.
    private func variant(for rung: Rung, initSegment: String) async throws -> HLSMasterPlaylist.Variant {
        var codecs = (try? Data(contentsOf: URL(fileURLWithPath: initSegment))).flatMap { HLSMasterPlaylist.avcCodec(initSegment: [UInt8]($0)) }
        if codecs == nil {
            let stream = try await Packager.inspect(initSegment, timeLimit: .seconds(30))
            codecs = HLSMasterPlaylist.avcCodec(profile: stream.profile, level: stream.level)
        }
        let audio = hasAudio ? 128_000 : 0
        return HLSMasterPlaylist.Variant(
            name: rung.name, bandwidth: rung.maxRate + audio, averageBandwidth: nil, width: rung.width, height: rung.height,
            frameRate: rung.frameRate, codecs: (codecs ?? "avc1.640028") + (hasAudio ? ",mp4a.40.2" : ""), uri: "\(rung.name)/index.m3u8")
    }

    private func hls(_ path: String) -> String { MediaLayout.hlsFile(videoId, path: path) }

    /// ffmpeg's playlist as it stands (none yet: empty).
    static func localPlaylist(_ directory: String) throws -> HLSMediaPlaylist {
        let path = "\(directory)/index.m3u8"
        guard FileManager.default.fileExists(atPath: path) else { return HLSMediaPlaylist() }
        return HLSMediaPlaylist.parse(try String(contentsOfFile: path, encoding: .utf8))
    }
}
