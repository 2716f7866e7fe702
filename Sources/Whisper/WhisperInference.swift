import CWhisper
import Foundation

/// The blocking whisper.cpp calls of one job, run on the transcriber's threads with a state of
/// the job's own.
enum WhisperInference {
    /// The longest stretch handed to whisper.cpp at once. Left to itself, whisper.cpp 1.8.5 seeks
    /// from one 30 s window to the next by the last timestamp it decoded, and on continuous speech
    /// it went wrong there: it repeated earlier sentences and looped on invented ones (65 % WER on
    /// 65 s of English, `scripts/bench whisper`). Cutting the audio ourselves, at quiet moments,
    /// into pieces it decodes in one window each avoids that seek (1.7–6.7 % WER on the same clip).
    static let maximumChunkSeconds = 28.0

    /// One job on `state`: the audio in pieces of at most ``maximumChunkSeconds``, each through
    /// `whisper_full_with_state`, then segments with their words, token ids, mean token log
    /// probability and no-speech probability, on the whole audio's clock. Blocking.
    static func run(
        model: WhisperModel, state: OpaquePointer, samples: [Float], language: String, task: WhisperTask, threads: Int32
    ) throws -> Transcript {
        var segments: [TranscriptSegment] = []
        var detected: (code: String, name: String)?
        for chunk in chunks(samples) {
            let offset = Double(chunk.lowerBound) / 16_000
            let piece = try decode(
                model: model, state: state, samples: samples[chunk], language: detected?.code ?? language, task: task, threads: threads,
                offset: offset, firstID: segments.count)
            detected = detected ?? piece.language
            segments += piece.segments
        }
        return Transcript(
            language: detected?.code ?? language, languageName: detected?.name ?? language,
            duration: Double(samples.count) / 16_000, segments: segments)
    }

    /// Where to cut `samples` (16 kHz): pieces of at most ``maximumChunkSeconds``, each ending at
    /// the quietest 100 ms of its last `search` seconds, so a cut falls between words.
    static func chunks(_ samples: [Float], search: Double = 6) -> [Range<Int>] {
        let maximum = Int(maximumChunkSeconds * 16_000), window = 1_600
        var pieces: [Range<Int>] = []
        var start = 0
        while samples.count - start > maximum {
            let limit = start + maximum
            var best = limit, quietest = Double.infinity
            var at = max(start + window, limit - Int(search * 16_000))
            while at + window <= limit {
                var energy = 0.0
                for index in at..<(at + window) { energy += Double(samples[index]) * Double(samples[index]) }
                if energy < quietest {
                    quietest = energy
                    best = at + window / 2
                }
                at += window / 2
            }
            pieces.append(start..<best)
            start = best
        }
        if start < samples.count || pieces.isEmpty { pieces.append(start..<samples.count) }
        return pieces
    }

    /// One piece through `whisper_full_with_state`; times moved by `offset` seconds.
    private static func decode(
        model: WhisperModel, state: OpaquePointer, samples: ArraySlice<Float>, language: String, task: WhisperTask, threads: Int32,
        offset: Double, firstID: Int
    ) throws -> (segments: [TranscriptSegment], language: (code: String, name: String)?) {
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
        let language = detected >= 0 ? (String(cString: whisper_lang_str(detected)), String(cString: whisper_lang_str_full(detected))) : nil
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
                words.append(bytes, start: offset + Double(data.t0) / 100, end: offset + Double(data.t1) / 100, probability: data.p)
            }
            let text = whisper_full_get_segment_text_from_state(state, index).map { String(cString: $0) } ?? ""
            let noSpeech = Double(whisper_full_get_segment_no_speech_prob_from_state(state, index))
            segments.append(TranscriptSegment(
                id: firstID + Int(index),
                start: offset + Double(whisper_full_get_segment_t0_from_state(state, index)) / 100,
                end: offset + Double(whisper_full_get_segment_t1_from_state(state, index)) / 100,
                text: text.trimmingCharacters(in: .whitespacesAndNewlines), words: words.finish(), tokens: tokens,
                averageLogProbability: tokens.isEmpty ? nil : logProbabilities / Double(tokens.count),
                noSpeechProbability: noSpeech.isFinite ? noSpeech : nil
            ))
        }
        return (segments, language)
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
