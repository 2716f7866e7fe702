import Primitives
import ClipCutCore
import Foundation
import Transcoder

/// One caption track a run wrote.
struct CaptionTrack: Sendable, Equatable {
    /// The WebVTT file in the scratch directory.
    var path: String
    /// ISO 639-1.
    var language: String
    /// The WebVTT itself.
    var text: String
    /// An English translation of speech in another language (Whisper's translate task).
    var isTranslation = false

    /// What a player's menu shows: "Spanish", "English (translation)".
    var label: String {
        let name = Locale(identifier: "en").localizedString(forLanguageCode: language) ?? language
        return isTranslation ? "\(name) (translation)" : name
    }

    /// The timed cues (for search).
    var cues: [CaptionCue] { WebVTTCues.parse(text).map { CaptionCue(start: $0.start, end: $0.end, text: $0.text) } }
}

/// What became of a video's captions in one run.
enum CaptionOutcome: Sendable {
    /// The tracks are written: the speech's own first, then its English translation when the
    /// speech is not English. `model` heard `language` with `probability` (when detected).
    /// `realTimeFactor`: seconds whisper.cpp took per second of audio, for the operators' figures.
    case ready(tracks: [CaptionTrack], model: String?, probability: Double?, realTimeFactor: Double? = nil)
    /// The audio holds no speech (a music bed, a tone): `captionState: none`, "no speech found".
    case noSpeech
    /// The source has no audio track: nothing to caption (`captionState: none`).
    case noAudioTrack
    /// Captioning failed for good (audio-service refused the speech, or the track would not
    /// decode); `reason` is for the owner. Not retried.
    case failed(String)
    /// audio-service could not be reached or answered with a server error: tried again later.
    case unavailable(String)

    /// What the owner reads when there are no captions because there is no speech.
    static let noSpeechReason = "no speech found"

    /// The tracks written (none unless ``ready(tracks:model:probability:realTimeFactor:)``).
    var tracks: [CaptionTrack] {
        if case .ready(let tracks, _, _, _) = self { tracks } else { [] }
    }

    /// The `video.captions` event that announces this outcome.
    func event(_ videoId: VideoID) -> VideoCaptionsEvent {
        switch self {
        case .ready(let tracks, let model, let probability, let realTimeFactor):
            let original = tracks.first { !$0.isTranslation }
            let translation = tracks.first { $0.isTranslation }
            return VideoCaptionsEvent(
                videoId: videoId, state: .ready, language: original?.language ?? "en", cues: original?.cues ?? [],
                model: model, languageProbability: probability, translation: translation?.cues ?? [],
                realTimeFactor: realTimeFactor)
        case .noSpeech:
            return VideoCaptionsEvent(videoId: videoId, state: .noAudioTrack, language: "en", reason: Self.noSpeechReason)
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
    /// Extracts the speech audio to a scratch file and streams it to audio-service for a WebVTT
    /// in the language spoken (`language`: the uploader's choice, `nil` to detect), and, for
    /// speech that is not English, an English translation track.
    func makeCaptions(_ videoId: VideoID, probe: MediaProbe, source: MediaInput, work: Scratch, language: String? = nil) async -> CaptionOutcome {
        guard probe.audio != nil else { return .noAudioTrack }
        await report(videoId, .extractingAudio, percent: 0, log: "extracting the audio for captions")
        let wav = work.path("speech.wav")
        do {
            _ = try await runTool(
                Programs.ffmpeg, Packaging.speechAudio(input: source, output: wav), timeLimit: toolTimeLimit(probe, factor: 0.2))
        } catch let failure as ToolFailure where SourceInspection.sourceUnreachable(failure.detail) != nil {
            // upload-service, not the audio: the caption retry tries again later.
            logger.warning("speech audio not read", metadata: ["videoId": "\(videoId)", "error": "\(failure)"])
            return .unavailable("the source could not be read")
        } catch {
            logger.warning("speech audio not extracted", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
            return .failed("the audio track could not be decoded")
        }
        await report(videoId, .transcribing, percent: 0, log: "transcribing with whisper.cpp")
        do {
            let started = ContinuousClock.now
            let heard = try await captions.transcribe(wav: wav, language: language)
            let elapsed = (ContinuousClock.now - started).seconds
            let realTimeFactor = probe.duration > 0 && probe.duration.isFinite ? elapsed / probe.duration : nil
            let original = try write(heard, as: "captions.vtt", in: work)
            guard !original.cues.isEmpty else {
                await report(videoId, .transcribing, percent: 100, log: "no captions: no speech found")
                return .noSpeech
            }
            var detail = heard.languageProbability.map { String(format: " (detected, p = %.2f)", $0) } ?? ""
            detail += heard.model.map { ", \($0)" } ?? ""
            await report(videoId, .transcribing, percent: 100, log: "captions: \(original.cues.count) cues in \(original.label)\(detail)")
            var tracks = [original]
            if heard.language != "en" {
                await report(videoId, .transcribing, percent: 100, log: "translating the captions into English")
                let english = try await captions.translate(wav: wav, language: heard.language)
                var translation = try write(english, as: "captions.en.vtt", in: work)
                translation.language = "en"
                translation.isTranslation = true
                if !translation.cues.isEmpty { tracks.append(translation) }
            }
            return .ready(tracks: tracks, model: heard.model, probability: heard.languageProbability, realTimeFactor: realTimeFactor)
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

    private func write(_ result: CaptionResult, as name: String, in work: Scratch) throws -> CaptionTrack {
        let path = work.path(name)
        try Data(result.vtt.utf8).write(to: URL(fileURLWithPath: path))
        return CaptionTrack(path: path, language: result.language, text: result.vtt)
    }
}
