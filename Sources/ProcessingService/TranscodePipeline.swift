import ClipCutCore
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

/// What became of a video's captions in one run.
enum CaptionOutcome: Sendable {
    case ready(path: String, language: String, text: String)
    case noAudio
    case unavailable(String)
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

    /// Processes `video`; returns whether captions must be tried again later.
    func run(_ video: VideoSnapshot) async throws -> (renditions: [Rendition], captionsPending: Bool) {
        let work = try Scratch(root: settings.scratchDirectory, videoId: video.id)
        defer { work.remove() }
        await report(video.id, .probing, percent: 0, log: "fetching the source")
        do {
            try await media.downloadSource(video, to: work.path("source"))
        } catch let error as MediaAccessError where error.isMissing {
            throw JobFailure.permanent("The uploaded file is missing.")
        } catch {
            try Task.checkCancellation()
            throw JobFailure.transient("The uploaded file could not be read.")
        }
        let probe = try await Self.probe(work.path("source"))
        var rungs = Ladder.rungs(for: probe)
        var keyframeTimes: [Double]?
        if rungs.contains(where: \.isRemux) {
            // A copied rung keeps the source's keyframes: the encoded rungs put theirs at the same
            // times so segments line up. Sources with keyframes too far apart are encoded instead.
            let times = try await Self.keyframeTimes(work.path("source"))
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 } + [probe.duration - (times.last ?? 0)]
            if times.first == 0, let widest = gaps.max(), widest <= 10 {
                keyframeTimes = times
            } else {
                rungs = rungs.map { var rung = $0; rung.isRemux = false; return rung }
            }
        }
        guard let display = probe.video else { throw JobFailure.permanent("not a video") }
        try await media.deleteMedia(of: video.id)  // a retry starts clean: no duplicates, no orphans
        try await events.publish(VideoTranscribingEvent(videoId: video.id, language: probe.audio == nil ? nil : "en"))
        try await events.publish(VideoTranscodingEvent(
            videoId: video.id, rungs: rungs.map(\.name), durationSeconds: probe.duration,
            sourceWidth: display.displayWidth, sourceHeight: display.displayHeight))
        await report(video.id, .probing, percent: 100, log: Self.describe(probe, rungs))

        let captionTask = Task { await makeCaptions(video.id, probe: probe, work: work) }
        defer { captionTask.cancel() }  // a failed or cancelled job stops its transcription too
        var burn: String?
        if video.burnSubtitles, case .ready(let path, _, _) = await captionTask.value { burn = path }
        let encoded = try await encode(
            video.id, probe: probe, rungs: rungs, work: work, burnSubtitles: burn, keyframeTimes: burn == nil ? keyframeTimes : nil)
        // Captions get a bounded wait once the picture is done; later they come by the caption retry.
        let captionOutcome = await Self.value(of: captionTask, within: .seconds(max(120, Int64(probe.duration))), otherwise: .unavailable("timed out"))

        let packager = Packager(
            media: media, events: events, videoId: video.id, work: work, probe: probe, captionsBurned: burn != nil, logger: logger)
        let renditions = try await packager.package(rungs: rungs, outputs: encoded, captions: captionOutcome)
        guard try await media.video(video.id) != nil else {
            // Deleted while it was processed: take back what was stored, announce nothing.
            try await media.deleteMedia(of: video.id)
            throw JobFailure.permanent("The video was deleted.")
        }
        switch captionOutcome {
        case .ready(_, let language, let text):
            let cues = WebVTTCues.parse(text).map { CaptionCue(start: $0.start, end: $0.end, text: $0.text) }
            try await events.publish(VideoCaptionsEvent(videoId: video.id, state: .ready, language: language, cues: cues))
        case .noAudio:
            try await events.publish(VideoCaptionsEvent(videoId: video.id, state: .failed, language: "en"))
        case .unavailable(let reason):
            logger.warning("captions pending", metadata: ["videoId": "\(video.id)", "reason": "\(reason)"])
            try await events.publish(VideoCaptionsEvent(videoId: video.id, state: .pending, language: "en"))
        }
        try await events.publish(VideoReadyEvent(videoId: video.id, renditions: renditions, durationSeconds: probe.duration))
        await report(video.id, .storing, percent: 100, log: "ready: \(renditions.map(\.quality).joined(separator: ", "))")
        if case .unavailable = captionOutcome { return (renditions, true) }
        return (renditions, false)
    }

    /// ffprobe's view of the source; a file ffprobe cannot read as a video is permanent.
    static func probe(_ path: String) async throws -> MediaProbe {
        let output: Data
        do {
            output = try await runTool("/usr/bin/ffprobe", ["-v", "error", "-of", "json", "-show_format", "-show_streams", path])
        } catch let failure as ToolFailure where failure.status == 1 {
            try Task.checkCancellation()  // a terminated ffprobe is a shutdown, not a verdict
            throw JobFailure.permanent("not a video")
        } catch {
            try Task.checkCancellation()
            throw JobFailure.transient("The source could not be examined.")
        }
        do {
            return try MediaProbe(ffprobeJSON: output)
        } catch let rejection as MediaProbe.Rejection {
            throw JobFailure.permanent(rejection.description)
        }
    }

    /// Keyframe times of the source's video, read from the container (no decoding).
    static func keyframeTimes(_ path: String) async throws -> [Double] {
        let output = try await runTool("/usr/bin/ffprobe", [
            "-v", "error", "-select_streams", "v:0", "-skip_frame", "nokey", "-show_entries", "frame=pts_time", "-of", "csv=p=0", path,
        ])
        return String(decoding: output, as: UTF8.self).split(separator: "\n")
            .compactMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: ", \r"))) }
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

    /// Extracts the speech audio and asks audio-service for a WebVTT.
    func makeCaptions(_ videoId: VideoID, probe: MediaProbe, work: Scratch) async -> CaptionOutcome {
        guard probe.audio != nil else { return .noAudio }
        await report(videoId, .extractingAudio, percent: 0, log: "extracting the audio for captions")
        let wav = work.path("speech.wav")
        do {
            _ = try await runTool("/usr/bin/ffmpeg", Packaging.speechAudio(input: work.path("source"), output: wav))
        } catch {
            return .noAudio  // an audio track that does not decode has no speech to caption
        }
        await report(videoId, .transcribing, percent: 0, log: "transcribing with whisper.cpp")
        do {
            let text = try await captions.transcribe(wav: wav)
            let path = work.path("captions.vtt")
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            await report(videoId, .transcribing, percent: 100, log: "captions: \(WebVTTCues.parse(text).count) cues")
            return .ready(path: path, language: "en", text: text)
        } catch {
            await report(videoId, .transcribing, percent: 100, log: "captions postponed: audio-service unavailable")
            return .unavailable("\(error)")
        }
    }

    /// The single-decode ladder encode, reporting progress; killed when it stalls.
    func encode(
        _ videoId: VideoID, probe: MediaProbe, rungs: [Rung], work: Scratch, burnSubtitles: String?, keyframeTimes: [Double]? = nil
    ) async throws -> [String: String] {
        var options = settings.encoding
        options.forcedKeyframeTimes = keyframeTimes
        let encoders = rungs.filter { !$0.isRemux || burnSubtitles != nil }.count
        options.threadsPerEncoder = EncodingOptions.threads(encoders: encoders, cores: ProcessInfo.processInfo.activeProcessorCount)
        let command = LadderCommand(
            source: work.path("source"), probe: probe, rungs: rungs, outputDirectory: work.directory, options: options,
            burnSubtitles: burnSubtitles)
        let process = ChildProcess("/usr/bin/ffmpeg", command.arguments)
        let lastProgress = Mutex(ContinuousClock.now)
        let (snapshots, continuation) = AsyncStream.makeStream(of: ProgressSnapshot.self, bufferingPolicy: .bufferingNewest(8))
        let parser = Mutex(ProgressParser())
        let duration = probe.duration
        let rungNames = rungs.map(\.name)
        let reporter = Task {
            let throttle = ProgressThrottle(perSecond: 4)
            for await snapshot in snapshots where throttle.admit(force: snapshot.isEnd) {
                await events.progress(VideoProgressEvent(
                    videoId: videoId, stage: .transcoding, rungs: rungNames, percent: snapshot.percent(of: duration), fps: snapshot.fps,
                    speed: snapshot.speed, etaSeconds: snapshot.eta(duration: duration)))
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
        await report(videoId, .transcoding, percent: 0, log: "encoding \(rungs.map { $0.isRemux && burnSubtitles == nil ? "\($0.name) (remux)" : $0.name }.joined(separator: ", ")) from one decode")
        let result = try await process.run { line in
            guard let snapshot = parser.withLock({ $0.consume(line) }) else { return }
            lastProgress.withLock { $0 = ContinuousClock.now }
            continuation.yield(snapshot)
        }
        continuation.finish()
        watchdog.cancel()
        await reporter.value
        try Task.checkCancellation()
        if result.wasKilled {
            throw JobFailure.transient("The encoder made no progress for \(stallLimit.components.seconds) seconds.")
        }
        guard result.status == 0 else {
            logger.error("ffmpeg failed", metadata: ["videoId": "\(videoId)", "stderr": "\(result.errorTail)"])
            // The one cause worth naming to the owner: the worker's disk, not their video.
            if result.errorTail.contains("No space left on device") {
                throw JobFailure.transient("The processing server ran out of disk space; the job will be retried.")
            }
            throw JobFailure.transient("The encoder failed.")
        }
        return command.outputs
    }

    func report(_ videoId: VideoID, _ stage: ProcessingStage, percent: Double, log: String? = nil) async {
        await events.progress(VideoProgressEvent(videoId: videoId, stage: stage, percent: percent, logLine: log))
    }

    static func describe(_ probe: MediaProbe, _ rungs: [Rung]) -> String {
        guard let video = probe.video else { return "no video" }
        let audio = probe.audio.map { "\($0.codec) \($0.channels) ch" } ?? "no audio"
        return String(format: "%@ %dx%d (shown %dx%d, rotation %d) %.2f fps, %.1f s, %@ → %@", video.codec, video.width, video.height,
                      video.displayWidth, video.displayHeight, video.rotation, video.frameRate, probe.duration, audio,
                      rungs.map { "\($0.name) \($0.width)x\($0.height)" }.joined(separator: ", "))
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
