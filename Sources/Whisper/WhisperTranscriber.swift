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

    /// Transcribes (or translates into English) 16 kHz mono samples in [-1, 1].
    /// - Parameters:
    ///   - language: ISO 639-1 code; `nil` means English for English-only models and detection
    ///     for multilingual ones.
    ///   - task: ``WhisperTask/translate`` needs a multilingual model.
    public func transcribe(_ samples: [Float], language: String? = nil, task: WhisperTask = .transcribe) async throws -> Transcript {
        let model = self.model
        let states = self.states
        let threads = Int32(configuration.threadsPerJob)
        let language = language ?? (model.isMultilingual ? "auto" : "en")
        guard task == .transcribe || model.isMultilingual else { throw WhisperError.unsupported("an English-only model cannot translate") }
        do {
            return try await threadPool.runIfActive {
                try states.withState { state in
                    try WhisperInference.run(model: model, state: state, samples: samples, language: language, task: task, threads: threads)
                }
            }
        } catch is CancellationError {
            throw CancellationError()
        }
    }

    /// The language spoken in the first 30 s of `samples` (multilingual models only).
    public func detectLanguage(_ samples: [Float]) async throws -> LanguageGuess {
        guard model.isMultilingual else { throw WhisperError.unsupported("an English-only model cannot detect languages") }
        let model = self.model
        let states = self.states
        let threads = Int32(configuration.threadsPerJob)
        let window = Array(samples.prefix(30 * 16_000))
        return try await threadPool.runIfActive {
            try states.withState { state in try WhisperInference.detectLanguage(model: model, state: state, samples: window, threads: threads) }
        }
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
