import ClipCutCore
import Foundation
import Logging
import Synchronization

/// A swift-log handler writing one JSON object per line, for log collectors.
///
/// ```json
/// {"label":"upload-service","level":"info","message":"stored","metadata":{"video":"3f2b…"},"source":"UploadService","timestamp":"2025-01-31T12:00:00.250Z"}
/// ```
///
/// Keys are sorted; metadata (handler, provider and call site, the call site winning) is nested
/// under `metadata`; an attached error appears as `error`.
public struct JSONLogHandler: LogHandler {
    /// Lowest level this handler lets through (checked by `Logger` before calling ``log(event:)``).
    public var logLevel: Logger.Level
    /// Metadata added to every line of this handler.
    public var metadata: Logger.Metadata
    /// Adds metadata from the task context at the time of each log call.
    public var metadataProvider: Logger.MetadataProvider?

    private let label: String
    private let output: @Sendable (String) -> Void

    /// Creates a handler.
    /// - Parameters:
    ///   - label: The logger's label, written as `label`.
    ///   - logLevel: Lowest level written.
    ///   - metadataProvider: Contextual metadata source (default: the one bootstrapped, if any).
    ///   - output: Receives each complete line, newline included (default: standard output).
    public init(
        label: String,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
        output: @escaping @Sendable (String) -> Void = StandardOutputLineWriter.shared.write
    ) {
        self.label = label
        self.logLevel = logLevel
        self.metadata = [:]
        self.metadataProvider = metadataProvider
        self.output = output
    }

    /// Reads or sets one metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as one JSON line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let callSite = event.metadata {
            merged.merge(callSite) { _, new in new }
        }
        let line = Self.formatLine(
            timestamp: Date(),
            level: event.level,
            label: label,
            message: event.message.description,
            source: event.source,
            error: event.error.map { String(describing: $0) },
            metadata: merged
        )
        output(line)
    }

    /// The JSON line (ending in a newline) for one log event.
    public static func formatLine(
        timestamp: Date,
        level: Logger.Level,
        label: String,
        message: String,
        source: String,
        error: String? = nil,
        metadata: Logger.Metadata
    ) -> String {
        var object: [String: JSONLogValue] = [
            "timestamp": .string(JSONCoding.formatTimestamp(timestamp)),
            "level": .string(level.rawValue),
            "label": .string(label),
            "message": .string(message),
            "source": .string(source),
        ]
        if let error {
            object["error"] = .string(error)
        }
        if !metadata.isEmpty {
            object["metadata"] = JSONLogValue(metadata: .dictionary(metadata))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(object) else {
            // Only strings, arrays and objects are encoded, which cannot fail; keep a line anyway.
            return "{\"level\":\"\(level.rawValue)\",\"message\":\"unencodable log line\"}\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// A JSON value of a log line.
enum JSONLogValue: Encodable {
    case string(String)
    case array([JSONLogValue])
    case object([String: JSONLogValue])

    init(metadata value: Logger.Metadata.Value) {
        switch value {
        case .string(let string): self = .string(string)
        case .stringConvertible(let convertible): self = .string(convertible.description)
        case .array(let values): self = .array(values.map(JSONLogValue.init(metadata:)))
        case .dictionary(let values): self = .object(values.mapValues(JSONLogValue.init(metadata:)))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let string): try container.encode(string)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }
}

/// Writes whole lines to standard output, one writer at a time, so concurrent log lines never
/// interleave.
public final class StandardOutputLineWriter: Sendable {
    /// The process's writer.
    public static let shared = StandardOutputLineWriter()

    private let lock = Mutex(())

    private init() {}

    /// Writes `line` (which should end in a newline); write errors are ignored.
    @Sendable public func write(_ line: String) {
        let data = Data(line.utf8)
        lock.withLock { _ in
            try? FileHandle.standardOutput.write(contentsOf: data)
        }
    }
}
