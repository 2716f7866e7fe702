import AsyncHTTPClient
import ClipCutCore
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import NIOCore
import ServiceSupport
import Synchronization
import Testing

/// Signing keys standing in for user-service's.
struct TestSigningKeys: Sendable {
    static let es256KeyID = "test-es256"
    static let ed25519KeyID = "test-ed25519"

    let es256: ES256PrivateKey
    let ed25519: EdDSA.PrivateKey

    init() throws {
        es256 = ES256PrivateKey()
        ed25519 = try EdDSA.PrivateKey(curve: .ed25519)
    }

    /// The public JWKS user-service would publish.
    func jwks() throws -> JWKS {
        let parameters = try #require(es256.publicKey.parameters)
        return JWKS(keys: [
            JWK.ecdsa(
                .es256, identifier: JWKIdentifier(string: Self.es256KeyID), x: parameters.x, y: parameters.y,
                curve: .p256),
            JWK.octetKeyPair(
                .eddsa, identifier: JWKIdentifier(string: Self.ed25519KeyID),
                x: base64URL(ed25519.publicKey.rawRepresentation), y: nil, curve: .ed25519),
        ])
    }

    /// A token for `claims` signed with the ES256 key (or any other ES256 key), under `kid`.
    func es256Token(
        _ claims: AccessTokenClaims, key: ES256PrivateKey? = nil, kid: String = TestSigningKeys.es256KeyID
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key ?? es256, kid: JWKIdentifier(string: kid))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// A token for `claims` signed with the Ed25519 key.
    func ed25519Token(_ claims: AccessTokenClaims) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: ed25519, kid: JWKIdentifier(string: Self.ed25519KeyID))
        return try await keys.sign(claims, kid: JWKIdentifier(string: Self.ed25519KeyID))
    }

    static func claims(
        user: UserID = .random(), role: UserRole = .user, issuer: String = "clipcut",
        audience: String = "clipcut", expiresIn seconds: TimeInterval = 3600
    ) -> AccessTokenClaims {
        AccessTokenClaims(
            user: user, role: role, issuer: issuer, audience: audience,
            issuedAt: Date(), expiresAt: Date().addingTimeInterval(seconds))
    }
}

func base64URL(_ data: Data) -> String {
    data.base64EncodedString()
        .replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

/// An unsigned token (`alg: none`), crafted by hand.
func unsignedToken(alg: String = "none", kid: String? = TestSigningKeys.es256KeyID, user: UserID = .random()) -> String {
    let kidField = kid.map { #","kid":"\#($0)""# } ?? ""
    let header = #"{"alg":"\#(alg)","typ":"JWT"\#(kidField)}"#
    let now = Int(Date().timeIntervalSince1970)
    let payload = #"{"sub":"\#(user)","role":"admin","iss":"clipcut","aud":"clipcut","iat":\#(now),"exp":\#(now + 3600)}"#
    return base64URL(Data(header.utf8)) + "." + base64URL(Data(payload.utf8)) + "."
}

/// Serves a JWKS over real HTTP (a Hummingbird app on a free port), counting requests.
final class JWKSServer: Sendable {
    let jwks: JWKS
    private let hits = Atomic<Int>(0)

    init(jwks: JWKS) {
        self.jwks = jwks
    }

    /// How many times the JWKS was requested.
    var requestCount: Int { hits.load(ordering: .relaxed) }

    /// Runs `body` with the URL of the running server.
    func run<T: Sendable>(_ body: @Sendable (URL) async throws -> T) async throws -> T {
        let data = try JSONEncoder().encode(jwks)
        let router = Router()
        router.get("/api/auth/jwks") { _, _ in
            self.hits.add(1, ordering: .relaxed)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            let port = try #require(client.port)
            let url = try #require(URL(string: "http://127.0.0.1:\(port)/api/auth/jwks"))
            return try await body(url)
        }
    }
}

/// A JWKS source whose answer the test changes, counting fetches.
final class ScriptedJWKSSource: JWKSSource {
    private let state: Mutex<Result<JWKS, any Error>>
    private let delay: Duration
    private let fetches = Atomic<Int>(0)

    init(_ result: Result<JWKS, any Error>, delay: Duration = .zero) {
        self.state = Mutex(result)
        self.delay = delay
    }

    var fetchCount: Int { fetches.load(ordering: .relaxed) }

    func serve(_ result: Result<JWKS, any Error>) {
        state.withLock { $0 = result }
    }

    func fetchJWKS() async throws -> JWKS {
        fetches.add(1, ordering: .relaxed)
        if delay > .zero { try await Task.sleep(for: delay) }
        return try state.withLock { $0 }.get()
    }
}
