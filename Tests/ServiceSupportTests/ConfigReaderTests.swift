import ClipCutCore
import Foundation
import Logging
import ServiceSupport
import Testing

@Suite("Configuration")
struct ConfigReaderTests {
    @Test("unset and empty variables give the defaults")
    func defaults() throws {
        let reader = ConfigReader(environment: ["CLIPCUT_HTTP_PORT": "  "])
        let configuration = try ServiceConfiguration(service: .upload, reader: reader)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == ServiceName.upload.defaultPort)
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .text)
        #expect(configuration.jwksURL.absoluteString == "http://127.0.0.1:8081/api/auth/jwks")
        #expect(configuration.jwtIssuer == "clipcut")
        #expect(configuration.jwtAudience == "clipcut")
    }

    @Test("values are read and typed")
    func values() throws {
        let reader = ConfigReader(environment: [
            "CLIPCUT_HTTP_HOST": "0.0.0.0", "CLIPCUT_HTTP_PORT": "9000", "CLIPCUT_LOG_LEVEL": "DEBUG",
            "CLIPCUT_LOG_FORMAT": "json", "CLIPCUT_JWKS_URL": "https://users.internal/api/auth/jwks",
            "CLIPCUT_JWT_ISSUER": "iss", "CLIPCUT_JWT_AUDIENCE": "aud",
        ])
        let configuration = try ServiceConfiguration(service: .monitoring, reader: reader)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
        #expect(configuration.jwksURL.host == "users.internal")
        #expect(configuration.jwtIssuer == "iss")
        #expect(configuration.jwtAudience == "aud")
    }

    @Test(
        "malformed values are clear errors naming the variable",
        arguments: [
            ("CLIPCUT_HTTP_PORT", "eighty"), ("CLIPCUT_HTTP_PORT", "70000"), ("CLIPCUT_HTTP_PORT", "-1"),
            ("CLIPCUT_LOG_LEVEL", "loud"), ("CLIPCUT_LOG_FORMAT", "xml"), ("CLIPCUT_JWKS_URL", "not a url"),
            ("CLIPCUT_JWKS_URL", "ftp://host/jwks"),
        ]
    )
    func malformed(key: String, value: String) {
        let reader = ConfigReader(environment: [key: value])
        #expect {
            try ServiceConfiguration(service: .user, reader: reader)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.key == key && error.value == value && error.description.contains(key)
        }
    }

    @Test("typed getters")
    func typedGetters() throws {
        let reader = ConfigReader(environment: [
            "A": "yes", "B": "0", "C": "2.5", "D": "x", "E": "redis://:secret@localhost:6379/0",
            "F": "postgres://user:hunter2@db:5432/app",
        ])
        #expect(try reader.bool(ConfigKey("A", summary: ""), default: false))
        #expect(try !reader.bool(ConfigKey("B", summary: ""), default: true))
        #expect(try reader.seconds(ConfigKey("C", summary: ""), default: .zero) == .milliseconds(2500))
        #expect(throws: ConfigError.self) { try reader.bool(ConfigKey("D", summary: ""), default: true) }
        #expect(try reader.int(ConfigKey("missing", summary: ""), default: 7) == 7)
        let url = try reader.url(ConfigKey("E", summary: ""), default: "", schemes: ["redis"])
        #expect(url.port == 6379)
        #expect {
            try reader.url(ConfigKey("F", summary: ""), default: "", schemes: ["mongodb"])
        } throws: { error in
            let text = String(describing: error)
            return !text.contains("hunter2") && text.contains("***")
        }
        #expect(throws: ConfigError.self) { try reader.requiredString(ConfigKey("none", summary: "a thing")) }
        #expect(try reader.requiredString(ConfigKey("none", summary: "", defaultValue: "d")) == "d")
    }
}

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    @Test("one JSON object per line, with metadata nested")
    func formatsLine() throws {
        let line = JSONLogHandler.formatLine(
            timestamp: Date(timeIntervalSince1970: 1_738_324_800.25), level: .warning, label: "upload-service",
            message: "stored \"x\"\nnext", source: "UploadService", error: "boom",
            metadata: ["video": "abc", "sizes": ["1", "2"], "nested": ["k": "v"]]
        )
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().contains("\n") == false)
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        let object = parsed as? [String: Any] ?? [:]
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "upload-service")
        #expect(object["message"] as? String == "stored \"x\"\nnext")
        #expect(object["timestamp"] as? String == "2025-01-31T12:00:00.250Z")
        #expect(object["error"] as? String == "boom")
        let metadata = object["metadata"] as? [String: Any] ?? [:]
        #expect(metadata["video"] as? String == "abc")
        #expect(metadata["sizes"] as? [String] == ["1", "2"])
        #expect((metadata["nested"] as? [String: String])?["k"] == "v")
    }

    @Test("a Logger over the handler merges handler and call-site metadata")
    func loggerWrites() throws {
        let lines = LineCollector()
        var logger = Logger(label: "test") { label in
            JSONLogHandler(label: label, logLevel: .debug, metadataProvider: nil, output: lines.append)
        }
        logger[metadataKey: "service"] = "user-service"
        logger.debug("hello", metadata: ["request": "r1"])
        logger.trace("hidden")
        let written = lines.lines
        #expect(written.count == 1)
        let parsed = try JSONSerialization.jsonObject(with: Data((written.first ?? "{}").utf8))
        let object = parsed as? [String: Any] ?? [:]
        let metadata = object["metadata"] as? [String: String]
        #expect(metadata == ["service": "user-service", "request": "r1"])
    }

    @Test("the service token is required unless development use is declared")
    func serviceTokenRequired() throws {
        #expect(throws: ConfigError.self) { try ServiceTokenRequirement.check(nil, allowMissing: false) }
        #expect(throws: ConfigError.self) { try ServiceTokenRequirement.check("", allowMissing: false) }
        #expect(try ServiceTokenRequirement.check(nil, allowMissing: true) == nil)
        #expect(try ServiceTokenRequirement.check("s3cret", allowMissing: false) == "s3cret")
    }
}
