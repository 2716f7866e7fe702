import ClipCutCore
import Foundation
import JWTKit
import Logging
import ServiceSupport
import Testing

@testable import UserService

@Suite("Signing keys: development key, PEM configuration, rotation")
struct SigningKeyTests {
    func settings(dataDirectory: URL, files: [String] = [], pem: String? = nil) throws -> UserServiceSettings {
        var environment = [
            "CLIPCUT_DATA_DIR": dataDirectory.path,
            "CLIPCUT_POSTGRES_URL": "postgres://u:p@127.0.0.1:5432/db",
            "CLIPCUT_JWT_SIGNING_KEY_FILES": files.joined(separator: ","),
        ]
        if let pem { environment["CLIPCUT_JWT_SIGNING_KEY_PEM"] = pem }
        return try UserServiceSettings(reader: ConfigReader(environment: environment))
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("without configuration a development key is generated once (mode 0600) and reused")
    func developmentKey() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await SigningKeySet.load(settings: try settings(dataDirectory: directory), logger: Logger(label: "test"))
        let second = try await SigningKeySet.load(settings: try settings(dataDirectory: directory), logger: Logger(label: "test"))
        #expect(first.signingKey.kid == second.signingKey.kid)
        let file = directory.appendingPathComponent("jwt/signing-key.pem").path
        let permissions = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test("rotation: the first configured key signs, every key is published, old tokens still verify")
    func rotation() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let oldKey = ES256PrivateKey(), newKey = ES256PrivateKey()
        let oldFile = directory.appendingPathComponent("old.pem")
        try oldKey.pemRepresentation.write(to: oldFile, atomically: true, encoding: .utf8)

        let before = try await SigningKeySet.load(settings: try settings(dataDirectory: directory, files: [oldFile.path]), logger: Logger(label: "test"))
        let user = UserID.random()
        let claims = AccessTokenClaims(user: user, role: .user, issuer: "clipcut", audience: "clipcut", expiresAt: Date() + 600)
        let oldToken = try await before.sign(claims)

        let after = try await SigningKeySet.load(
            settings: try settings(dataDirectory: directory, files: [oldFile.path], pem: newKey.pemRepresentation), logger: Logger(label: "test")
        )
        #expect(after.keys.count == 2)
        #expect(after.signingKey.kid != before.signingKey.kid)
        let jwks = String(decoding: try after.jwksJSON(), as: UTF8.self)
        #expect(jwks.contains(before.signingKey.kid) && jwks.contains(after.signingKey.kid))
        #expect(!jwks.contains("\"d\""), "no private part is published")

        let verifier = AccessTokenVerifier(
            keyCache: JWKSKeyCache(source: StaticJWKSSource(try after.jwks())), issuer: "clipcut", audience: "clipcut"
        )
        let newToken = try await after.sign(claims)
        #expect(try await verifier.verify(oldToken).id == user)
        #expect(try await verifier.verify(newToken).id == user)
    }

    @Test("an unreadable key file or bad PEM stops the service with a clear error")
    func badKeys() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        await #expect(throws: SigningKeyError.self) {
            _ = try await SigningKeySet.load(settings: try settings(dataDirectory: directory, files: ["/nonexistent.pem"]), logger: Logger(label: "t"))
        }
        await #expect(throws: SigningKeyError.self) {
            _ = try await SigningKeySet.load(settings: try settings(dataDirectory: directory, pem: "not a key"), logger: Logger(label: "t"))
        }
    }
}
