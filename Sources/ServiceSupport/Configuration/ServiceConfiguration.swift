import ClipCutCore
import Foundation
import Logging

/// The line format of the logs.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One JSON object per line (production).
    case json
    /// swift-log's standard human-readable lines (development).
    case text
}

/// The settings every ClipCut service shares, read from `CLIPCUT_*` variables.
///
/// | variable | default |
/// | --- | --- |
/// | `CLIPCUT_HTTP_HOST` | `127.0.0.1` |
/// | `CLIPCUT_HTTP_PORT` | the service's ``ServiceName/defaultPort`` |
/// | `CLIPCUT_LOG_LEVEL` | `info` |
/// | `CLIPCUT_LOG_FORMAT` | `text` |
/// | `CLIPCUT_JWKS_URL` | `http://127.0.0.1:8081/api/auth/jwks` |
/// | `CLIPCUT_JWT_ISSUER` | `clipcut` |
/// | `CLIPCUT_JWT_AUDIENCE` | `clipcut` |
///
/// Service-specific settings (database URLs and so on) are read by each service with the same
/// ``ConfigReader``.
public struct ServiceConfiguration: Sendable {
    /// Which service this is (log label, `Server` header, default port).
    public var service: ServiceName
    /// Address to bind.
    public var host: String
    /// Port to bind (0 picks a free port).
    public var port: Int
    /// Lowest level logged.
    public var logLevel: Logger.Level
    /// Line format of the logs.
    public var logFormat: LogFormat
    /// Where the token-verification keys are fetched.
    public var jwksURL: URL
    /// Required `iss` of access tokens.
    public var jwtIssuer: String
    /// Required `aud` of access tokens.
    public var jwtAudience: String

    /// user-service's JWKS at its default address.
    public static var defaultJWKSURL: URL {
        URL(string: ConfigKey.jwksURL.defaultValue ?? "") ?? URL(fileURLWithPath: "/")
    }

    /// Creates a configuration from explicit values (tests, tools).
    public init(
        service: ServiceName,
        host: String = "127.0.0.1",
        port: Int? = nil,
        logLevel: Logger.Level = .info,
        logFormat: LogFormat = .text,
        jwksURL: URL = ServiceConfiguration.defaultJWKSURL,
        jwtIssuer: String = "clipcut",
        jwtAudience: String = "clipcut"
    ) {
        self.service = service
        self.host = host
        self.port = port ?? service.defaultPort
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.jwksURL = jwksURL
        self.jwtIssuer = jwtIssuer
        self.jwtAudience = jwtAudience
    }

    /// The shared variables every service reads here.
    public static let keys: [ConfigKey] = [.httpHost, .httpPort, .logLevel, .logFormat, .jwksURL, .jwtIssuer, .jwtAudience]

    /// Reads the shared settings for `service` from `reader`.
    /// - Throws: ``ConfigError`` naming the first malformed variable.
    public init(service: ServiceName, reader: ConfigReader) throws {
        self.service = service
        self.host = reader.string(.httpHost, default: ConfigKey.httpHost.defaultValue ?? "127.0.0.1")
        self.port = try reader.int(.httpPort, default: service.defaultPort, in: 0...65535)
        self.logLevel = try reader.logLevel(.logLevel, default: .info)
        self.logFormat = try reader.choice(.logFormat, default: .text)
        self.jwksURL = try reader.url(
            .jwksURL, default: ConfigKey.jwksURL.defaultValue ?? "", schemes: ["http", "https"])
        self.jwtIssuer = reader.string(.jwtIssuer, default: ConfigKey.jwtIssuer.defaultValue ?? "clipcut")
        self.jwtAudience = reader.string(.jwtAudience, default: ConfigKey.jwtAudience.defaultValue ?? "clipcut")
    }

    /// Reads the configuration from the process environment; on a malformed setting prints the
    /// problem to standard error and exits with status 78 (`EX_CONFIG`). For `main` only.
    public static func loadOrExit(service: ServiceName, reader: ConfigReader = ConfigReader()) -> ServiceConfiguration {
        do {
            return try ServiceConfiguration(service: service, reader: reader)
        } catch {
            exitWithConfigurationError(error, service: service)
        }
    }
}

/// Prints a configuration error to standard error and exits with status 78 (`EX_CONFIG`).
public func exitWithConfigurationError(_ error: any Error, service: ServiceName) -> Never {
    let message = "\(service.executableName): configuration error: \(error)\n"
    FileHandle.standardError.write(Data(message.utf8))
    exit(78)
}

/// Prints why a service stopped (e.g. its port is taken) to standard error and exits with
/// status 1, instead of a crash report.
public func exitWithRuntimeError(_ error: any Error, service: ServiceName) -> Never {
    let message = "\(service.executableName): stopped: \(error)\n"
    FileHandle.standardError.write(Data(message.utf8))
    exit(1)
}
