import ClipCutCore
import Primitives
import Foundation
import Logging
import Synchronization
import Transcoder

/// Why a job did not finish.
enum JobFailure: Error, CustomStringConvertible {
    /// Retrying cannot help (not a video, no source); the reason is for the owner.
    case permanent(String)
    /// Might work next time (ffmpeg stalled or crashed, a store hiccup); the reason is for the owner.
    case transient(String)

    var description: String {
        switch self {
        case .permanent(let reason), .transient(let reason): reason
        }
    }
}

/// One video through the whole pipeline: source to disk, ffprobe, the ladder from one decode,
/// captions from audio-service in parallel, MP4 and HLS packaging by remux, poster, storyboard,
/// outputs to GridFS under deterministic names, and events on the way.
struct TranscodePipeline: Sendable {
    let media: any MediaAccess
    let events: any EventReporter
    let captions: any CaptionSource
    let settings: ProcessingSettings
    let logger: Logger
    /// The speeds earlier encodes reached, for the first estimates of the time left.
    var speeds: any EncodeSpeeds = MemoryEncodeSpeeds()

    /// Processes `video`; returns whether captions must be tried again later.
    func run(_ video: VideoSnapshot) async throws -> (renditions: [Rendition], captionsPending: Bool) {
        if let origin = video.clipOf {
            return try await ClipPipeline(media: media, events: events, settings: settings, logger: logger).run(video, origin: origin)
        }
        let work = try Scratch(root: settings.scratchDirectory, videoId: video.id)
        defer { work.remove() }
        // ffmpeg reads the source from upload-service itself, with byte ranges, as it goes: the
        // encode starts without waiting for the whole file (a 450 MB upload took 2 s to fetch).
        // Without a container on record the source is downloaded first.
        var downloaded = false
        if media.sourceInput(video, validFor: .seconds(60)) == nil {
            try await fetchSource(video, into: work)
            downloaded = true
        } else {
            await report(video.id, .probing, percent: 0, log: "reading the source from upload-service")
        }
        let probe = try await SourceInspection.probe(
            source(video, work, downloaded: downloaded, for: SourceInspection.probeTimeLimit * 3), policy: settings.policy)
        if !probe.notes.isEmpty {
            logger.notice("probe values ignored", metadata: ["videoId": "\(video.id)", "notes": "\(probe.notes.joined(separator: "; "))"])
        }
        var rungs = Ladder.rungs(for: probe)
        guard !rungs.isEmpty else { throw JobFailure.permanent(MediaProbe.Rejection.notAVideo.description) }
        var keyframesFromSource = false
        if rungs.contains(where: \.isRemux) {
            // A copy reads the whole source as fast as the disk goes: fetched once first, the
            // burst is over before the video plays. Read over HTTP, the keyframe scan and the copy
            // read it twice, competing with the first segments' stores for the database (5-minute
            // standard upload in scripts/bench firstplay: playable 0.45-0.66 s after the encode
            // step began over HTTP, 0.25 s downloaded).
            if !downloaded {
                try await fetchSource(video, into: work)
                downloaded = true
            }
            // A copied rung keeps the source's keyframes: the encoded rungs put theirs at the same
            // times so segments line up. Sources with keyframes too far apart are encoded instead.
            // Unreadable keyframes (a tool failure, its time limit) only cost the copy: encode instead.
            let times: [Double]
            do {
                let limit = MediaPolicy.toolTimeLimit(duration: probe.duration, factor: 0.5)
                times = try await SourceInspection.keyframeTimes(source(video, work, downloaded: downloaded, for: limit), duration: probe.duration)
            } catch {
                try Task.checkCancellation()
                if let failure = error as? ToolFailure, let unreachable = SourceInspection.sourceUnreachable(failure.detail) { throw unreachable }
                logger.notice("keyframes not read; every rung is encoded", metadata: ["videoId": "\(video.id)", "error": "\(error)"])
                times = []
            }
            keyframesFromSource = SourceInspection.keyframesSuitForCopy(times, duration: probe.duration)
            if !keyframesFromSource { rungs = rungs.map { var rung = $0; rung.isRemux = false; return rung } }
        }
        // A retry or take-over after an attempt that made the video playable replaces its
        // segments in place (the video keeps playing); any other starts clean.
        let earlier = try await publishedEarlier(video.id, rungs: rungs)
        if earlier == nil { try await media.deleteMedia(of: video.id) }  // no duplicates, no orphans
        try await events.publish(VideoTranscribingEvent(videoId: video.id, language: probe.audio == nil ? nil : "en"))
        try await events.publish(VideoTranscodingEvent(
            videoId: video.id, rungs: rungs.map(\.name), durationSeconds: probe.duration,
            sourceWidth: probe.video?.displayWidth, sourceHeight: probe.video?.displayHeight))
        await report(video.id, .probing, percent: 100, log: SourceInspection.describe(probe, rungs))

        var picture: String?
        if probe.isAudioOnly {
            picture = work.path("picture.png")
            let input = source(video, work, downloaded: downloaded, for: toolTimeLimit(probe, factor: 1))
            try await ffmpeg(Packaging.audioPicture(input: input, output: work.path("picture.png")), videoId: video.id, probe: probe)
        }
        // Transcription starts once the video plays (at most 30 s later): on two cores it would
        // otherwise take the CPU the first segments need. Burnt-in captions are needed first.
        let local = downloaded
        let playable = AsyncLatch()
        if video.burnSubtitles { playable.open() }
        let captionsDone = Mutex<[CaptionTrack]?>(nil)  // for the publisher: the tracks join the master when they arrive
        let captionTask = Task {
            await Self.firstOf({ try await playable.wait() }, orAfter: .seconds(30))
            let input = source(video, work, downloaded: local, for: toolTimeLimit(probe, factor: 0.2))
            let outcome = await makeCaptions(video.id, probe: probe, source: input, work: work, language: video.speechLanguage)
            if case .ready(let tracks, _, _, _) = outcome, !video.burnSubtitles { captionsDone.withLock { $0 = tracks } }
            return outcome
        }
        defer { captionTask.cancel() }  // a failed or cancelled job stops its transcription too
        var burn: String?
        if video.burnSubtitles, case .ready(let tracks, _, _, _) = await captionTask.value { burn = tracks.first?.path }
        // The copy of a rung and the encode run one after the other, each within the limit.
        let playlists = try await encodeAndPublish(
            video.id, probe: probe, source: source(video, work, downloaded: local, for: toolTimeLimit(probe, factor: 2)), rungs: rungs, work: work, burnSubtitles: burn, keyframesFromSource: burn == nil && keyframesFromSource,
            stillPicture: picture, earlier: earlier ?? [:], republish: earlier != nil, onPlayable: { playable.open() },
            captions: { captionsDone.withLock { $0 } })
        playable.open()
        // Captions get a bounded wait once the picture is done; later they come by the caption retry.
        let captionWait = max(settings.captionWaitFloor, .seconds(Int(clampingRounded: probe.duration)))
        let captionOutcome = await Self.value(of: captionTask, within: captionWait, otherwise: .unavailable("timed out"))

        let packager = Packager(
            media: media, events: events, videoId: video.id, work: work, probe: probe, captionsBurned: burn != nil,
            toolTimeLimit: toolTimeLimit(probe, factor: 1), logger: logger)
        let renditions = try await packager.package(rungs: rungs, playlists: playlists, captions: captionOutcome)
        guard try await media.video(video.id) != nil else {
            // Deleted while it was processed: take back what was stored, announce nothing.
            try await media.deleteMedia(of: video.id)
            throw JobFailure.permanent("The video was deleted.")
        }
        try await events.publish(captionOutcome.event(video.id))
        if case .unavailable(let reason) = captionOutcome {
            logger.warning("captions pending", metadata: ["videoId": "\(video.id)", "reason": "\(reason)"])
        }
        try await events.publish(VideoReadyEvent(videoId: video.id, renditions: renditions, durationSeconds: probe.duration))
        await report(video.id, .storing, percent: 100, log: "ready: \(renditions.map(\.quality).joined(separator: ", "))")
        if case .unavailable = captionOutcome { return (renditions, true) }
        return (renditions, false)
    }

    /// Where a tool running at most `limit` reads `video`'s source: the copy in `work` once it
    /// is `downloaded`, else upload-service over HTTP with a grant that outlives the run by 10
    /// minutes.
    func source(_ video: VideoSnapshot, _ work: Scratch, downloaded: Bool, for limit: Duration) -> MediaInput {
        let local = MediaInput.file(work.path("source"))
        return downloaded ? local : media.sourceInput(video, validFor: limit + .seconds(600)) ?? local
    }

    /// Downloads the source into `work` (``source(_:_:downloaded:for:)`` then reads it there).
    func fetchSource(_ video: VideoSnapshot, into work: Scratch) async throws {
        await report(video.id, .probing, percent: 0, log: "fetching the source")
        do {
            try await media.downloadSource(video, to: work.path("source"))
        } catch let error as MediaAccessError where error.isMissing {
            throw JobFailure.permanent("The uploaded file is missing.")
        } catch {
            try Task.checkCancellation()
            throw JobFailure.transient("The uploaded file could not be read.")
        }
    }

    /// How long one ffmpeg run over this source may take: 2 minutes plus `factor` × the
    /// configured allowance per second of video.
    func toolTimeLimit(_ probe: MediaProbe, factor: Double) -> Duration {
        MediaPolicy.toolTimeLimit(duration: probe.duration, factor: settings.toolTimeFactor * factor)
    }

    /// Runs ffmpeg over the source within the time limit; a damaged input is a permanent failure.
    func ffmpeg(_ arguments: [String], videoId: VideoID, probe: MediaProbe) async throws {
        do {
            _ = try await runTool(Programs.ffmpeg, arguments, timeLimit: toolTimeLimit(probe, factor: 1))
        } catch let failure as ToolFailure {
            try Task.checkCancellation()
            logger.error("ffmpeg failed", metadata: ["videoId": "\(videoId)", "error": "\(failure)"])
            if let unreachable = SourceInspection.sourceUnreachable(failure.detail) { throw unreachable }
            if SourceInspection.inputWasDamaged(failure.detail) { throw JobFailure.permanent(MediaProbe.Rejection.damaged.description) }
            throw JobFailure.transient(failure.timedOut ? "ffmpeg took too long." : "ffmpeg failed.")
        }
    }

    /// Returns when `wait` returns or throws, or after `limit`, whichever comes first.
    static func firstOf(_ wait: @escaping @Sendable () async throws -> Void, orAfter limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await wait() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    /// The task's value, or `otherwise` (and the task cancelled) when it takes longer than `limit`.
    static func value<T: Sendable>(of task: Task<T, Never>, within limit: Duration, otherwise: T) async -> T {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await task.value }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            task.cancel()
            return otherwise
        }
    }

    /// The single-decode ladder encode of every rung not copied, each written as HLS segments
    /// into `hls-<rung>` (``HLSSegmenting``), reporting progress (the last percent also into
    /// `gauge`); killed when it stalls or runs past its time limit. A damaged or cut-off source is
    /// a permanent failure, not a retry.
    func encode(
        _ videoId: VideoID, probe: MediaProbe, source: MediaInput, rungs: [Rung], work: Scratch, burnSubtitles: String?, keyframesFromSource: Bool = false,
        stillPicture: String? = nil, gauge: PercentGauge = PercentGauge()
    ) async throws -> [String: String] {
        var options = settings.encoding
        options.keyframesFromSource = keyframesFromSource
        // A 1 s first segment: the video is playable a second sooner when every rung is encoded.
        options.firstKeyframeSeconds = HLSSegmenting.firstSegmentSeconds
        let encoders = rungs.filter { !$0.isRemux || burnSubtitles != nil }.count
        options.threadsPerEncoder = EncodingOptions.threads(encoders: encoders, cores: ProcessInfo.processInfo.activeProcessorCount)
        let command = LadderCommand(
            source: source, probe: probe, rungs: rungs, outputDirectory: work.directory, options: options,
            burnSubtitles: burnSubtitles, stillPicture: stillPicture, hlsSegmentSeconds: HLSSegmenting.segmentSeconds)
        for directory in command.outputs.values {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let process = ChildProcess(Programs.ffmpeg, command.arguments)
        let lastProgress = Mutex(ContinuousClock.now)
        let (snapshots, continuation) = AsyncStream.makeStream(of: ProgressSnapshot.self, bufferingPolicy: .bufferingNewest(8))
        let parser = Mutex(ProgressParser())
        let duration = probe.duration
        let encoded = rungs.filter { !$0.isRemux || burnSubtitles != nil }
        let rungNames = encoded.map(\.name)
        let topRung = encoded.map(\.shortSide).max() ?? 0
        let prior = await speeds.speed(topRung: topRung)
        let started = ContinuousClock.now
        let reporter = Task {
            let throttle = ProgressThrottle(perSecond: 4)
            var estimate = EncodeTimeEstimate(duration: duration, prior: prior)
            for await snapshot in snapshots {
                let left = estimate.update(outTime: snapshot.outTime, elapsed: (ContinuousClock.now - started).seconds, isEnd: snapshot.isEnd)
                guard throttle.admit(force: snapshot.isEnd) else { continue }
                gauge.set(snapshot.percent(of: duration))
                await events.progress(VideoProgressEvent(
                    videoId: videoId, stage: .transcoding, rungs: rungNames, percent: snapshot.percent(of: duration), fps: snapshot.fps,
                    speed: snapshot.speed, etaSeconds: left))
            }
        }
        let stallLimit = settings.stallLimit
        let watchdog = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                if ContinuousClock.now - lastProgress.withLock({ $0 }) > stallLimit {
                    process.kill()
                    return
                }
            }
        }
        await report(videoId, .transcoding, percent: gauge.value, log: "encoding \(rungNames.joined(separator: ", ")) from one decode")
        let result = try await process.run(timeLimit: toolTimeLimit(probe, factor: 1)) { line in
            guard let snapshot = parser.withLock({ $0.consume(line) }) else { return }
            lastProgress.withLock { $0 = ContinuousClock.now }
            continuation.yield(snapshot)
        }
        continuation.finish()
        watchdog.cancel()
        await reporter.value
        try Task.checkCancellation()
        if result.timedOut {
            throw JobFailure.permanent("encoding took longer than its limit of \(toolTimeLimit(probe, factor: 1).components.seconds) s")
        }
        if result.wasKilled {
            throw JobFailure.transient("The encoder made no progress for \(stallLimit.components.seconds) seconds.")
        }
        guard result.status == 0 else {
            logger.error("ffmpeg failed", metadata: ["videoId": "\(videoId)", "stderr": "\(result.errorTail)"])
            // The one cause worth naming to the owner: the worker's disk, not their video.
            if result.errorTail.contains("No space left on device") {
                throw JobFailure.transient("The processing server ran out of disk space; the job will be retried.")
            }
            if let unreachable = SourceInspection.sourceUnreachable(result.errorTail) { throw unreachable }
            if SourceInspection.inputWasDamaged(result.errorTail) { throw JobFailure.permanent(MediaProbe.Rejection.damaged.description) }
            throw JobFailure.transient("The encoder failed.")
        }
        // ffmpeg encodes what it could read and exits 0 when the network input broke off: the
        // segments stored so far stay, the retry replaces them.
        if let unreachable = SourceInspection.sourceUnreachable(result.errorTail) {
            logger.error("the source broke off", metadata: ["videoId": "\(videoId)", "stderr": "\(result.errorTail.suffix(300))"])
            throw unreachable
        }
        // ffmpeg encodes what it could read of a cut-off file and exits 0: the container
        // promised more than the file holds.
        if result.errorTail.contains("partial file") {
            logger.notice("source is cut off", metadata: ["videoId": "\(videoId)", "stderr": "\(result.errorTail.suffix(300))"])
            throw JobFailure.permanent(MediaProbe.Rejection.damaged.description)
        }
        let seconds = (ContinuousClock.now - started).seconds
        if !encoded.isEmpty, duration > 0, seconds > 0 { await speeds.record(duration / seconds, topRung: topRung) }
        return command.outputs
    }

    func report(_ videoId: VideoID, _ stage: ProcessingStage, percent: Double, log: String? = nil) async {
        await events.progress(VideoProgressEvent(videoId: videoId, stage: stage, percent: percent, logLine: log))
    }
}

/// A job's scratch directory, removed when the job ends.
struct Scratch: Sendable {
    let directory: String

    init(root: String, videoId: VideoID) throws {
        directory = "\(root)/\(videoId)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
