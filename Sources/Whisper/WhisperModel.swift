import CWhisper
import Foundation
import Synchronization

/// Why a model could not be loaded or run.
public enum WhisperError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be read.
    case modelNotFound(String)
    /// whisper.cpp refused the file (wrong format, wrong tensors); its log lines say why.
    case modelRejected(path: String, log: [String])
    /// Inference failed with this whisper.cpp status code.
    case inferenceFailed(Int32)
    /// The transcriber was shut down.
    case shutdown
    /// The model cannot do what was asked (an English-only model asked to translate).
    case unsupported(String)

    public var description: String {
        switch self {
        case .modelNotFound(let path): "no Whisper model at \(path)"
        case .modelRejected(let path, let log): "whisper.cpp could not load \(path): \(log.suffix(3).joined(separator: " | "))"
        case .inferenceFailed(let code): "whisper.cpp inference failed (status \(code))"
        case .shutdown: "the transcriber is shut down"
        case .unsupported(let reason): "not supported: \(reason)"
        }
    }
}

/// A loaded ggml Whisper model (`whisper_context`).
///
/// `@unchecked Sendable`: after loading, the context holds read-only weights and vocabulary;
/// whisper.cpp allows any number of threads to run inference on it concurrently as long as each
/// uses its own `whisper_state`, which ``WhisperTranscriber`` does. The pointer is freed in
/// `deinit` only, when no job can hold the model any more.
public final class WhisperModel: @unchecked Sendable {
    let context: OpaquePointer
    /// The file it was loaded from.
    public let path: String
    /// whisper.cpp's warnings and errors while loading (empty for a good model).
    public let loadWarnings: [String]

    /// Loads a model. Blocking (seconds): call it off the event loops and the cooperative pool.
    init(path: String) throws {
        guard FileManager.default.isReadableFile(atPath: path) else { throw WhisperError.modelNotFound(path) }
        let collector = WhisperLogCollector()
        let context = collector.capture {
            whisper_init_from_file_with_params(path, cwhisper_cpu_context_params())
        }
        guard let context else { throw WhisperError.modelRejected(path: path, log: collector.lines) }
        self.context = context
        self.path = path
        self.loadWarnings = collector.warnings
    }

    deinit {
        whisper_free(context)
    }

    /// Whether the model knows languages other than English.
    public var isMultilingual: Bool { whisper_is_multilingual(context) != 0 }

    /// whisper.cpp's name for the model size (`tiny`, `base`, …).
    public var typeName: String { String(cString: whisper_model_type_readable(context)) }

    /// Vocabulary size.
    public var vocabularySize: Int { Int(whisper_model_n_vocab(context)) }
}

/// Collects whisper.cpp's log lines while a closure runs, then routes them back to stderr
/// (errors only). whisper.cpp's logger is process-wide, so only one capture runs at a time.
final class WhisperLogCollector: Sendable {
    private struct Line { let level: UInt32; let text: String }
    private let captured = Mutex<[Line]>([])

    var lines: [String] { captured.withLock { $0.map(\.text) } }

    /// Lines at warning level or above that are not informational.
    var warnings: [String] {
        captured.withLock { lines in
            lines.filter { $0.level == GGML_LOG_LEVEL_WARN.rawValue || $0.level == GGML_LOG_LEVEL_ERROR.rawValue }.map(\.text)
        }
    }

    private static let exclusive = Mutex(())

    func capture<T>(_ body: () -> T) -> T {
        Self.exclusive.withLock { _ in
            let me = Unmanaged.passUnretained(self).toOpaque()
            whisper_log_set({ level, text, userData in
                guard let userData, let text else { return }
                let collector = Unmanaged<WhisperLogCollector>.fromOpaque(userData).takeUnretainedValue()
                let line = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
                if !line.isEmpty { collector.captured.withLock { $0.append(Line(level: level.rawValue, text: line)) } }
            }, me)
            defer { whisper_log_set(WhisperLogCollector.errorsToStandardError, nil) }
            return body()
        }
    }

    /// Outside a capture: whisper.cpp's errors to stderr, the rest dropped.
    static let errorsToStandardError: ggml_log_callback = { level, text, _ in
        guard level == GGML_LOG_LEVEL_ERROR, let text else { return }
        FileHandle.standardError.write(Data(String(cString: text).utf8))
    }
}
