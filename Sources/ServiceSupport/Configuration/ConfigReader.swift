import ClipCutCore
import Foundation
import Logging
import Synchronization

/// A setting that is present but cannot be used.
///
/// The message names the variable, the offending value and what was expected; it is meant for
/// the operator starting the service (it is never sent to an HTTP client).
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The environment variable.
    public let key: String
    /// The value found (empty when the variable was required but missing).
    public let value: String
    /// What would have been accepted.
    public let expected: String

    /// Creates the error.
    public init(key: String, value: String, expected: String) {
        self.key = key
        self.value = value
        self.expected = expected
    }

    /// `CLIPCUT_HTTP_PORT="abc": expected an integer in 1...65535`.
    public var description: String {
        value.isEmpty ? "\(key) is not set: expected \(expected)" : "\(key)=\"\(value)\": expected \(expected)"
    }
}

/// Reads typed settings from an environment (by default the process's).
///
/// An unset or empty variable gives the default; a malformed value throws ``ConfigError`` rather
/// than silently falling back, so a typo in a deployment stops the service at start-up.
///
/// ```swift
/// let reader = ConfigReader()                       // ProcessInfo's environment
/// let port = try reader.int(.httpPort, default: 8081, in: 1...65535)
/// ```
public struct ConfigReader: Sendable {
    /// The variables read.
    public let environment: [String: String]
    /// Notes every key asked for (tests compare a service's declared keys with what it reads).
    public let recorder: ConfigRecorder?

    /// Reads from `environment` (default: the process environment).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, recorder: ConfigRecorder? = nil) {
        self.environment = environment
        self.recorder = recorder
    }

    /// The raw value, or `nil` when unset or empty (surrounding whitespace is trimmed).
    public func rawValue(_ key: ConfigKey) -> String? {
        recorder?.record(key)
        guard let value = environment[key.name]?.trimmingCharacters(in: .whitespacesAndNewlines),
            !value.isEmpty
        else { return nil }
        return value
    }

    /// The value, or `nil` when unset or empty (no default applied).
    public func string(_ key: ConfigKey) -> String? {
        rawValue(key)
    }

    /// The value, or `defaultValue` when unset or empty.
    public func string(_ key: ConfigKey, default defaultValue: String) -> String {
        rawValue(key) ?? defaultValue
    }

    /// The value, or the key's declared ``ConfigKey/defaultValue``.
    /// - Throws: ``ConfigError`` when both are missing.
    public func requiredString(_ key: ConfigKey) throws -> String {
        guard let value = rawValue(key) ?? key.defaultValue else {
            throw ConfigError(key: key.name, value: "", expected: key.summary)
        }
        return value
    }

    /// An integer, optionally limited to `range`.
    public func int(_ key: ConfigKey, default defaultValue: Int, in range: ClosedRange<Int>? = nil) throws -> Int {
        guard let text = rawValue(key) else { return defaultValue }
        let expected = range.map { "an integer in \($0.lowerBound)...\($0.upperBound)" } ?? "an integer"
        guard let value = Int(text), range?.contains(value) ?? true else {
            throw ConfigError(key: key.name, value: text, expected: expected)
        }
        return value
    }

    /// A number of seconds (fractions allowed, at least 0) as a `Duration`.
    public func seconds(_ key: ConfigKey, default defaultValue: Duration) throws -> Duration {
        guard let text = rawValue(key) else { return defaultValue }
        guard let value = Double(text), value.isFinite, value >= 0 else {
            throw ConfigError(key: key.name, value: text, expected: "a number of seconds ≥ 0")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    /// A boolean: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0` (any case).
    public func bool(_ key: ConfigKey, default defaultValue: Bool) throws -> Bool {
        guard let text = rawValue(key) else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigError(key: key.name, value: text, expected: "true or false")
        }
    }

    /// One of a string-backed enum's cases, matched case-insensitively against raw values.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: ConfigKey, default defaultValue: T) throws -> T
    where T.RawValue == String {
        guard let text = rawValue(key) else { return defaultValue }
        guard let value = T.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            let names = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(key: key.name, value: text, expected: "one of \(names)")
        }
        return value
    }

    /// A swift-log level: trace, debug, info, notice, warning, error or critical.
    public func logLevel(_ key: ConfigKey, default defaultValue: Logger.Level) throws -> Logger.Level {
        try choice(key, default: defaultValue)
    }

    /// An absolute URL whose scheme is one of `schemes` (compared case-insensitively) and that
    /// has a host.
    ///
    /// The value given in a ``ConfigError`` has any password replaced by `***`.
    public func url(_ key: ConfigKey, default defaultValue: String, schemes: Set<String>) throws -> URL {
        let text = rawValue(key) ?? defaultValue
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), schemes.contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            let expected = "a URL starting with " + schemes.sorted().map { "\($0)://" }.joined(separator: " or ")
            throw ConfigError(key: key.name, value: Self.redactingPassword(text), expected: expected)
        }
        return url
    }

    /// `text` with the password of any `user:password@` part replaced by `***`.
    static func redactingPassword(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].firstIndex(of: "@"),
            let colon = text[schemeEnd.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}

/// The keys a ``ConfigReader`` was asked for.
public final class ConfigRecorder: Sendable {
    private let names = Mutex<Set<String>>([])

    /// An empty record.
    public init() {}

    /// The variables' names asked for so far.
    public var keys: Set<String> { names.withLock { $0 } }

    func record(_ key: ConfigKey) {
        _ = names.withLock { $0.insert(key.name) }
    }
}
