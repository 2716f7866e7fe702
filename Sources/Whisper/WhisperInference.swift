import CWhisper
import Foundation

/// The blocking whisper.cpp calls of one job, run on the transcriber's threads with a state of
/// the job's own.
enum WhisperInference {
    /// One job on `state`: `whisper_full_with_state`, then segments with their words, token ids,
    /// mean token log probability and no-speech probability. Blocking.
    static func run(
        model: WhisperModel, state: OpaquePointer, samples: [Float], language: String, task: WhisperTask, threads: Int32
    ) throws -> Transcript {
        let status = language.withCString { languagePointer in
            samples.withUnsafeBufferPointer { buffer in
                whisper_full_with_state(
                    model.context, state, cwhisper_batch_params(threads, languagePointer, task == .translate),
                    buffer.baseAddress, Int32(buffer.count)
                )
            }
        }
        guard status == 0 else { throw WhisperError.inferenceFailed(status) }
        let detected = whisper_full_lang_id_from_state(state)
        let languageCode = detected >= 0 ? String(cString: whisper_lang_str(detected)) : language
        let languageName = detected >= 0 ? String(cString: whisper_lang_str_full(detected)) : language
        let endOfText = whisper_token_eot(model.context)
        var segments: [TranscriptSegment] = []
        for index in 0..<whisper_full_n_segments_from_state(state) {
            var words = WordAssembler()
            var tokens: [Int] = []
            var logProbabilities = 0.0
            for tokenIndex in 0..<whisper_full_n_tokens_from_state(state, index) {
                let data = whisper_full_get_token_data_from_state(state, index, tokenIndex)
                // Timestamps, <|endoftext|> and the other special tokens come after the text tokens.
                guard data.id < endOfText, let text = whisper_full_get_token_text_from_state(model.context, state, index, tokenIndex) else {
                    continue
                }
                tokens.append(Int(data.id))
                logProbabilities += Double(data.plog)
                let bytes = text.withMemoryRebound(to: UInt8.self, capacity: strlen(text) + 1) {
                    Array(UnsafeBufferPointer(start: $0, count: strlen(text)))
                }
                words.append(bytes, start: Double(data.t0) / 100, end: Double(data.t1) / 100, probability: data.p)
            }
            let text = whisper_full_get_segment_text_from_state(state, index).map { String(cString: $0) } ?? ""
            let noSpeech = Double(whisper_full_get_segment_no_speech_prob_from_state(state, index))
            segments.append(TranscriptSegment(
                id: Int(index),
                start: Double(whisper_full_get_segment_t0_from_state(state, index)) / 100,
                end: Double(whisper_full_get_segment_t1_from_state(state, index)) / 100,
                text: text.trimmingCharacters(in: .whitespacesAndNewlines), words: words.finish(), tokens: tokens,
                averageLogProbability: tokens.isEmpty ? nil : logProbabilities / Double(tokens.count),
                noSpeechProbability: noSpeech.isFinite ? noSpeech : nil
            ))
        }
        return Transcript(
            language: languageCode, languageName: languageName, duration: Double(samples.count) / 16_000, segments: segments
        )
    }

    /// `whisper_pcm_to_mel_with_state` then `whisper_lang_auto_detect_with_state` over the samples
    /// (at most 30 s). Blocking.
    static func detectLanguage(model: WhisperModel, state: OpaquePointer, samples: [Float], threads: Int32) throws -> LanguageGuess {
        guard !samples.isEmpty else { throw WhisperError.unsupported("no audio to detect a language in") }
        let converted = samples.withUnsafeBufferPointer { buffer in
            whisper_pcm_to_mel_with_state(model.context, state, buffer.baseAddress, Int32(buffer.count), threads)
        }
        guard converted == 0 else { throw WhisperError.inferenceFailed(converted) }
        var probabilities = [Float](repeating: 0, count: Int(whisper_lang_max_id()) + 1)
        let best = probabilities.withUnsafeMutableBufferPointer { buffer in
            whisper_lang_auto_detect_with_state(model.context, state, 0, threads, buffer.baseAddress)
        }
        guard best >= 0, Int(best) < probabilities.count, let code = whisper_lang_str(best) else {
            throw WhisperError.inferenceFailed(best)
        }
        return LanguageGuess(language: String(cString: code), probability: Double(probabilities[Int(best)]))
    }
}
