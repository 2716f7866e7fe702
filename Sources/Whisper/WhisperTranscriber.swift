import CWhisper
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Runs Whisper inference on threads it owns.
///
/// The model is loaded once. Each job gets its own `whisper_state` and runs on one of
/// `concurrentJobs` pool threads with `threadsPerJob` compute threads; further requests queue in
/// the pool instead of oversubscribing the cores (on a busy 2-core host more threads were
/// slower, so the defaults are 1 and 1).
public final class WhisperTranscriber: Service, Sendable {
    /// How the transcriber runs.
    public struct Configuration: Sendable {
        /// Path of the ggml model file.
        public var modelPath: String
        /// Jobs that may run at once (pool threads).
        public var concurrentJobs: Int
        /// whisper.cpp compute threads per job.
        public var threadsPerJob: Int

        public init(modelPath: String, concurrentJobs: Int = 1, threadsPerJob: Int = 1) {
            self.modelPath = modelPath
            self.concurrentJobs = max(1, concurrentJobs)
            self.threadsPerJob = max(1, threadsPerJob)
        }
    }

    /// The configuration in use.
    public let configuration: Configuration
    /// The loaded model.
    public let model: WhisperModel
    private let threadPool: NIOThreadPool
    private let states: WhisperStatePool
    private let logger: Logger

    /// Loads the model on the transcriber's own thread.
    /// - Throws: ``WhisperError`` when the model is missing or whisper.cpp rejects it.
    public init(configuration: Configuration, logger: Logger = Logger(label: "clipcut.whisper")) async throws {
        let threadPool = NIOThreadPool(numberOfThreads: configuration.concurrentJobs)
        threadPool.start()
        do {
            let path = configuration.modelPath
            self.model = try await threadPool.runIfActive { try WhisperModel(path: path) }
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        self.configuration = configuration
        self.threadPool = threadPool
        self.states = WhisperStatePool(model: model)
        self.logger = logger
        for warning in model.loadWarnings {
            logger.warning("whisper.cpp warned while loading the model", metadata: ["line": "\(warning)"])
        }
    }

    /// Waits for graceful shutdown, then lets running jobs finish and stops the threads.
    public func run() async throws {
        try? await gracefulShutdown()
        try? await threadPool.shutdownGracefully()
    }

    /// Whether whisper.cpp knows the language code (`en`, `de`, …) — for this model: an
    /// English-only model knows only `en`.
    public func supports(language: String) -> Bool {
        guard model.isMultilingual else { return language == "en" }
        return language == "auto" || whisper_lang_id(language) >= 0
    }

    /// Transcribes 16 kHz mono samples in [-1, 1].
    /// - Parameter language: ISO 639-1 code; `nil` means English for English-only models and
    ///   detection for multilingual ones.
    public func transcribe(_ samples: [Float], language: String? = nil) async throws -> Transcript {
        let model = self.model
        let states = self.states
        let threads = Int32(configuration.threadsPerJob)
        let language = language ?? (model.isMultilingual ? "auto" : "en")
        do {
            return try await threadPool.runIfActive {
                try states.withState { state in
                    try Self.run(model: model, state: state, samples: samples, language: language, threads: threads)
                }
            }
        } catch is CancellationError {
            throw CancellationError()
        }
    }

    /// One job on `state`: `whisper_full_with_state`, segments and token times. Blocking.
    static func run(model: WhisperModel, state: OpaquePointer, samples: [Float], language: String, threads: Int32) throws -> Transcript {
        let status = language.withCString { languagePointer in
            samples.withUnsafeBufferPointer { buffer in
                whisper_full_with_state(
                    model.context, state, cwhisper_batch_params(threads, languagePointer),
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
            for tokenIndex in 0..<whisper_full_n_tokens_from_state(state, index) {
                let data = whisper_full_get_token_data_from_state(state, index, tokenIndex)
                // Timestamps, <|endoftext|> and the other special tokens come after the text tokens.
                guard data.id < endOfText, let text = whisper_full_get_token_text_from_state(model.context, state, index, tokenIndex) else {
                    continue
                }
                let bytes = text.withMemoryRebound(to: UInt8.self, capacity: strlen(text) + 1) {
                    Array(UnsafeBufferPointer(start: $0, count: strlen(text)))
                }
                words.append(bytes, start: Double(data.t0) / 100, end: Double(data.t1) / 100, probability: data.p)
            }
            let text = whisper_full_get_segment_text_from_state(state, index).map { String(cString: $0) } ?? ""
            segments.append(TranscriptSegment(
                id: Int(index),
                start: Double(whisper_full_get_segment_t0_from_state(state, index)) / 100,
                end: Double(whisper_full_get_segment_t1_from_state(state, index)) / 100,
                text: text.trimmingCharacters(in: .whitespacesAndNewlines), words: words.finish()
            ))
        }
        return Transcript(
            language: languageCode, languageName: languageName, duration: Double(samples.count) / 16_000, segments: segments
        )
    }
}

/// Joins BPE tokens into words: a token whose bytes start with a space begins a new word.
struct WordAssembler {
    private var words: [TranscriptWord] = []
    private var bytes: [UInt8] = []
    private var start = 0.0
    private var end = 0.0
    private var probability: Float = 1

    mutating func append(_ token: [UInt8], start: Double, end: Double, probability: Float) {
        if token.first == UInt8(ascii: " ") || bytes.isEmpty {
            flush()
            self.start = start
            self.probability = 1
        }
        bytes += token
        self.end = max(self.end, end)
        self.probability = min(self.probability, probability)
    }

    private mutating func flush() {
        let word = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !word.isEmpty {
            words.append(TranscriptWord(word: word, start: start, end: max(end, start), probability: probability))
        }
        bytes = []
        end = 0
    }

    mutating func finish() -> [TranscriptWord] {
        flush()
        return words
    }
}
