import Crypto
import Foundation
import JWTKit
import Logging
import ServiceSupport

/// The ES256 keys user-service signs access tokens with, and publishes as a JWKS.
///
/// The first key signs; every key is published, so tokens signed by a key being rotated out
/// keep verifying until they expire. Each key's `kid` is its RFC 7638 thumbprint.
struct SigningKeySet: Sendable {
    /// One key pair with its published coordinates.
    struct Key: Sendable {
        let kid: String
        let privateKey: ES256PrivateKey
        let x: String
        let y: String
    }

    /// The keys, signing key first.
    let keys: [Key]
    private let collection: JWTKeyCollection

    /// The key new tokens are signed with.
    var signingKey: Key { keys[0] }

    /// Wraps `privateKeys` (at least one; the first signs).
    init(privateKeys: [ES256PrivateKey]) async throws {
        guard !privateKeys.isEmpty else { throw SigningKeyError.noKeys }
        var keys: [Key] = []
        for privateKey in privateKeys {
            guard let parameters = privateKey.parameters else { throw SigningKeyError.unreadable("key has no public coordinates") }
            keys.append(Key(kid: Self.thumbprint(x: parameters.x, y: parameters.y), privateKey: privateKey, x: parameters.x, y: parameters.y))
        }
        let collection = JWTKeyCollection()
        for key in keys {
            await collection.add(ecdsa: key.privateKey, kid: JWKIdentifier(string: key.kid))
        }
        self.keys = keys
        self.collection = collection
    }

    /// Signs `claims` with the signing key; the header carries its `kid`.
    func sign(_ claims: AccessTokenClaims) async throws -> String {
        try await collection.sign(claims, kid: JWKIdentifier(string: signingKey.kid))
    }

    /// The public keys as a JWKS document.
    func jwksJSON() throws -> Data {
        let document = JWKSDocument(keys: keys.map {
            .init(kty: "EC", crv: "P-256", alg: "ES256", use: "sig", kid: $0.kid, x: $0.x, y: $0.y)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(document)
    }

    /// The public keys as jwt-kit's JWKS (to verify tokens in this service).
    func jwks() throws -> JWKS {
        try JSONDecoder().decode(JWKS.self, from: jwksJSON())
    }

    /// RFC 7638: base64url(SHA-256 of the required members in lexicographic order).
    static func thumbprint(x: String, y: String) -> String {
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        return Base64URL.encode(Data(SHA256.hash(data: Data(canonical.utf8))))
    }

    /// Loads the configured keys: the PEM text first, then the PEM files. With neither, a key
    /// generated on first run into `<dataDirectory>/jwt/signing-key.pem` (mode 0600), for development.
    static func load(settings: UserServiceSettings, logger: Logger) async throws -> SigningKeySet {
        var privateKeys: [ES256PrivateKey] = []
        if let pem = settings.signingKeyPEM {
            privateKeys.append(try parse(pem, source: "CLIPCUT_JWT_SIGNING_KEY_PEM"))
        }
        for path in settings.signingKeyFiles {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { throw SigningKeyError.unreadable(path) }
            privateKeys.append(try parse(pem, source: path))
        }
        if privateKeys.isEmpty {
            privateKeys.append(try developmentKey(in: settings.dataDirectory, logger: logger))
        }
        return try await SigningKeySet(privateKeys: privateKeys)
    }

    private static func parse(_ pem: String, source: String) throws -> ES256PrivateKey {
        do {
            return try ES256PrivateKey(pem: pem)
        } catch {
            throw SigningKeyError.unreadable(source)
        }
    }

    private static func developmentKey(in dataDirectory: URL, logger: Logger) throws -> ES256PrivateKey {
        let directory = dataDirectory.appendingPathComponent("jwt")
        let file = directory.appendingPathComponent("signing-key.pem")
        if let pem = try? String(contentsOf: file, encoding: .utf8) {
            return try parse(pem, source: file.path)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = ES256PrivateKey()
        guard FileManager.default.createFile(
            atPath: file.path, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600]
        ) else {
            throw SigningKeyError.unreadable(file.path)
        }
        logger.notice("generated a development signing key", metadata: ["path": "\(file.path)"])
        return key
    }
}

/// Why the signing keys could not be loaded (the service does not start).
enum SigningKeyError: Error, CustomStringConvertible {
    case noKeys
    case unreadable(String)

    var description: String {
        switch self {
        case .noKeys: "no signing key configured"
        case .unreadable(let source): "cannot read an ES256 private key from \(source)"
        }
    }
}

/// The JSON shape of a JWKS (RFC 7517) with EC public keys only.
private struct JWKSDocument: Encodable {
    struct Key: Encodable {
        let kty, crv, alg, use, kid, x, y: String
    }

    let keys: [Key]
}
