import ClipCutCore
import Foundation
import Transcoder

/// What became of a video's captions in one run.
enum CaptionOutcome: Sendable {
    /// The track is written (`path`), in `language`.
    case ready(path: String, language: String, text: String)
    /// The source has no audio track: nothing to caption (`captionState: none`).
    case noAudioTrack
    /// Captioning failed for good (audio-service refused the speech, or the track would not
    /// decode); `reason` is for the owner. Not retried.
    case failed(String)
    /// audio-service could not be reached or answered with a server error: tried again later.
    case unavailable(String)

    /// The `video.captions` event that announces this outcome.
    func event(_ videoId: VideoID) -> VideoCaptionsEvent {
        switch self {
        case .ready(_, let language, let text):
            let cues = WebVTTCues.parse(text).map { CaptionCue(start: $0.start, end: $0.end, text: $0.text) }
            return VideoCaptionsEvent(videoId: videoId, state: .ready, language: language, cues: cues)
        case .noAudioTrack:
            return VideoCaptionsEvent(videoId: videoId, state: .noAudioTrack, language: "en")
        case .failed(let reason):
            return VideoCaptionsEvent(videoId: videoId, state: .failed, language: "en", reason: reason)
        case .unavailable:
            return VideoCaptionsEvent(videoId: videoId, state: .pending, language: "en")
        }
    }
}

extension TranscodePipeline {
    /// Extracts the speech audio to a scratch file and streams it to audio-service for a WebVTT.
    func makeCaptions(_ videoId: VideoID, probe: MediaProbe, work: Scratch) async -> CaptionOutcome {
        guard probe.audio != nil else { return .noAudioTrack }
        await report(videoId, .extractingAudio, percent: 0, log: "extracting the audio for captions")
        let wav = work.path("speech.wav")
        do {
            _ = try await runTool(
                "/usr/bin/ffmpeg", Packaging.speechAudio(input: work.path("source"), output: wav), timeLimit: toolTimeLimit(probe, factor: 0.2))
        } catch {
            logger.warning("speech audio not extracted", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
            return .failed("the audio track could not be decoded")
        }
        await report(videoId, .transcribing, percent: 0, log: "transcribing with whisper.cpp")
        do {
            let text = try await captions.transcribe(wav: wav)
            let path = work.path("captions.vtt")
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            await report(videoId, .transcribing, percent: 100, log: "captions: \(WebVTTCues.parse(text).count) cues")
            return .ready(path: path, language: "en", text: text)
        } catch let failure as AudioServiceClient.Failure where failure.isRefusal {
            let reason = failure.status == 413 ? "the speech is longer than the transcriber accepts" : "the transcriber refused the speech"
            await report(videoId, .transcribing, percent: 100, log: "no captions: \(reason)")
            logger.warning("captions refused", metadata: ["videoId": "\(videoId)", "error": "\(failure)"])
            return .failed(reason)
        } catch {
            await report(videoId, .transcribing, percent: 100, log: "captions postponed: audio-service unavailable")
            return .unavailable("\(error)")
        }
    }
}
