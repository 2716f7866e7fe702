import Primitives
import ClipCutCore
import Foundation
import Jobs
import Logging
import Transcoder

/// Captions for a video that became `ready` while audio-service was unavailable: transcribe the
/// source again, store the track, add it to the HLS master and to each MP4 download, and
/// announce `video.captions`. Tried up to `maximumAttempts` times, the delay doubling each time.
struct CaptionRetry: Sendable {
    let schedule: any CaptionRetrySchedule
    let pipeline: TranscodePipeline
    let media: any MediaAccess
    let events: any EventReporter
    let retryDelay: Duration
    let logger: Logger
    var maximumAttempts = 6

    func run(videoId: VideoID, attempt: Int) async {
        do {
            guard let video = try await media.video(videoId), video.status != .failed else { return }  // deleted or failed
            // The owner wrote the captions meanwhile: theirs stay.
            guard video.captionEdited != true else { return }
            guard video.status == .ready else {
                // upload-service has not applied `video.ready` yet: look again shortly, same attempt.
                try await schedule.schedule(videoId, attempt: attempt, after: retryDelay)
                return
            }
            let work = try Scratch(root: pipeline.settings.scratchDirectory, videoId: videoId)
            defer { work.remove() }
            let downloaded = media.sourceInput(video, validFor: .seconds(60)) == nil
            if downloaded { try await media.downloadSource(video, to: work.path("source")) }
            let probe = try await SourceInspection.probe(
                pipeline.source(video, work, downloaded: downloaded, for: SourceInspection.probeTimeLimit * 3), policy: pipeline.settings.policy)
            let input = pipeline.source(video, work, downloaded: downloaded, for: pipeline.toolTimeLimit(probe, factor: 0.2))
            let outcome = await pipeline.makeCaptions(videoId, probe: probe, source: input, work: work, language: video.speechLanguage)
            switch outcome {
            case .noAudioTrack, .noSpeech, .failed:
                try await events.publish(outcome.event(videoId))
            case .unavailable(let reason):
                guard attempt < maximumAttempts else {
                    try await events.publish(VideoCaptionsEvent(videoId: videoId, state: .failed, language: "en"))
                    return
                }
                logger.info("captions still pending", metadata: ["videoId": "\(videoId)", "reason": "\(reason)"])
                try await schedule.schedule(videoId, attempt: attempt + 1, after: retryDelay * (1 << min(attempt, 20)))
            case .ready(let tracks, _, _, _):
                try await attach(videoId: videoId, tracks: tracks, probe: probe, work: work)
                try await events.publish(outcome.event(videoId))
            }
        } catch {
            guard attempt < maximumAttempts else {
                logger.error("captions given up", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
                try? await events.publish(VideoCaptionsEvent(videoId: videoId, state: .failed, language: "en"))
                return
            }
            logger.warning("caption retry failed; trying later", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
            try? await schedule.schedule(videoId, attempt: attempt + 1, after: retryDelay * (1 << min(attempt, 20)))
        }
    }

    /// Stores the track, references it from the HLS master, re-muxes the MP4 downloads with it.
    private func attach(videoId: VideoID, tracks: [CaptionTrack], probe: MediaProbe, work: Scratch) async throws {
        let limit = pipeline.toolTimeLimit(probe, factor: 1)
        let packager = Packager(media: media, events: events, videoId: videoId, work: work, probe: probe, toolTimeLimit: limit, logger: logger)
        let subtitles = try await packager.storeCaptions(tracks)
        let masterPath = work.path("master.m3u8")
        if try await media.downloadMedia(named: MediaLayout.hlsMaster(videoId), to: masterPath) {
            let master = try String(contentsOfFile: masterPath, encoding: .utf8)
            try await media.store(
                bytes: Array(Self.addingSubtitles(subtitles, to: master).utf8), as: MediaLayout.hlsMaster(videoId), videoId: videoId)
        }
        for rung in Ladder.rungs(for: probe) {
            let name = MediaLayout.renditionMP4(videoId, quality: rung.name)
            let original = work.path("\(rung.name).mp4"), captioned = work.path("\(rung.name).captioned.mp4")
            guard try await media.downloadMedia(named: name, to: original) else { continue }
            _ = try await runTool(
                Programs.ffmpeg,
                Packaging.mp4WithCaptions(rung: original, tracks: tracks.map { ($0.path, $0.language, $0.label) }, output: captioned),
                timeLimit: limit)
            let stream = try await Packager.inspect(captioned, timeLimit: limit)
            _ = try await media.store(captioned, as: name, videoId: videoId, metadata: [
                "quality": rung.name, "width": String(stream.width), "height": String(stream.height),
                "bitrate": String(stream.bitRate ?? rung.maxRate),
            ])
        }
    }

    /// A master playlist with a subtitles group added (idempotent).
    static func addingSubtitles(_ subtitles: [HLSMasterPlaylist.Subtitles], to master: String) -> String {
        subtitles.enumerated().reduce(master) { master, track in
            HLSSubtitleGroup.setting(
                language: track.element.language, name: track.element.name, isDefault: track.offset == 0 && track.element.isDefault,
                autoselect: track.element.isDefault, in: master)
        }
    }
}
