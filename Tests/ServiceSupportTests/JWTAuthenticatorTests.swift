import AsyncHTTPClient
import ClipCutCore
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import NIOCore
import Prometheus
import ServiceSupport
import Testing

/// Bad credentials, each of which must get 401.
enum BadCredential: String, CaseIterable, Sendable {
    case expired, wrongSignature, algNone, algNoneWithoutKid, algHS256, emptySignature, wrongAudience
    case wrongIssuer, unknownKid, subjectNotAUserID, garbageToken, garbageHeader, basicScheme, emptyBearer
    case missingHeader

    /// The `Authorization` header to send (`nil`: none).
    func header(keys: TestSigningKeys) async throws -> String? {
        switch self {
        case .expired:
            return try await "Bearer " + keys.es256Token(TestSigningKeys.claims(expiresIn: -60))
        case .wrongSignature:
            return try await "Bearer " + keys.es256Token(TestSigningKeys.claims(), key: ES256PrivateKey())
        case .algNone:
            return "Bearer " + unsignedToken()
        case .algNoneWithoutKid:
            return "Bearer " + unsignedToken(kid: nil)
        case .algHS256:
            return "Bearer " + unsignedToken(alg: "HS256") + "c2lnbmF0dXJl"
        case .emptySignature:
            let token = try await keys.es256Token(TestSigningKeys.claims())
            return "Bearer " + token.split(separator: ".").prefix(2).joined(separator: ".") + "."
        case .wrongAudience:
            return try await "Bearer " + keys.es256Token(TestSigningKeys.claims(audience: "someone-else"))
        case .wrongIssuer:
            return try await "Bearer " + keys.es256Token(TestSigningKeys.claims(issuer: "evil"))
        case .unknownKid:
            return try await "Bearer " + keys.es256Token(TestSigningKeys.claims(), kid: "rotated-away")
        case .subjectNotAUserID:
            var claims = TestSigningKeys.claims()
            claims.subject = "admin"
            return try await "Bearer " + keys.es256Token(claims)
        case .garbageToken:
            return "Bearer not.a.token"
        case .garbageHeader:
            return "%%%garbage%%%"
        case .basicScheme:
            return "Basic dXNlcjpwYXNz"
        case .emptyBearer:
            return "Bearer "
        case .missingHeader:
            return nil
        }
    }
}

@Suite("JWT authentication")
struct JWTAuthenticatorTests {
    /// Runs `body` against a service whose `/api/me` requires a token, verifying against a JWKS
    /// served over HTTP by a second server.
    func withAuthenticatedService(
        keys: TestSigningKeys,
        _ body: @escaping @Sendable (any TestClientProtocol, JWKSServer) async throws -> Void
    ) async throws {
        let server = try JWKSServer(jwks: keys.jwks())
        try await server.run { url in
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
            let verifier = AccessTokenVerifier(
                keyCache: JWKSKeyCache(source: HTTPJWKSSource(url: url, httpClient: httpClient)),
                issuer: "clipcut", audience: "clipcut")
            let router = makeServiceRouter(
                context: ClipCutRequestContext.self, metricsRegistry: PrometheusCollectorRegistry())
            router.authenticatedGroup("api", verifier: verifier)
                .get("me") { _, context -> String in
                    let user = try context.requireUser()
                    return "\(user.id) \(user.role.rawValue)"
                }
            let app = makeServiceApplication(
                router: router, configuration: ServiceConfiguration(service: .upload),
                services: [HTTPClientService(client: httpClient)])
            try await app.test(.router) { client in
                try await body(client, server)
            }
        }
    }

    @Test("an ES256 token signed by the published key passes and the route sees the user")
    func validES256Token() async throws {
        let keys = try TestSigningKeys()
        let user = UserID.random()
        let token = try await keys.es256Token(TestSigningKeys.claims(user: user, role: .admin))
        try await withAuthenticatedService(keys: keys) { client, server in
            for _ in 0..<3 {
                try await client.execute(
                    uri: "/api/me", method: .get, headers: [.authorization: "Bearer \(token)"]
                ) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "\(user) admin")
                }
            }
            #expect(server.requestCount == 1, "the JWKS is fetched once and cached")
        }
    }

    @Test("an EdDSA token passes too; the bearer scheme is case-insensitive")
    func validEdDSAToken() async throws {
        let keys = try TestSigningKeys()
        let user = UserID.random()
        let token = try await keys.ed25519Token(TestSigningKeys.claims(user: user))
        try await withAuthenticatedService(keys: keys) { client, _ in
            try await client.execute(
                uri: "/api/me", method: .get, headers: [.authorization: "bearer \(token)"]
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "\(user) user")
            }
        }
    }

    @Test("bad credentials get 401 with the JSON body and WWW-Authenticate", arguments: BadCredential.allCases)
    func rejected(credential: BadCredential) async throws {
        let keys = try TestSigningKeys()
        let header = try await credential.header(keys: keys)
        try await withAuthenticatedService(keys: keys) { client, _ in
            var headers = HTTPFields()
            if let header { headers[.authorization] = header }
            try await client.execute(uri: "/api/me", method: .get, headers: headers) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = try JSONDecoder().decode(
                    [String: [String: String]].self, from: Data(response.body.readableBytesView))
                #expect(body["error"]?["code"] == "unauthorized")
                #expect(body["error"]?["message"]?.isEmpty == false)
            }
        }
    }

    @Test("routes outside the authenticated group stay public")
    func publicRoutesUnaffected() async throws {
        let keys = try TestSigningKeys()
        try await withAuthenticatedService(keys: keys) { client, server in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            #expect(server.requestCount == 0)
        }
    }

    @Test("when no JWKS can be fetched, a token gets 503, not 401 or 500")
    func keysUnavailable() async throws {
        let keys = try TestSigningKeys()
        let token = try await keys.es256Token(TestSigningKeys.claims())
        let source = ScriptedJWKSSource(.failure(JWKSFetchError.unexpectedStatus(502)))
        let verifier = AccessTokenVerifier(keyCache: JWKSKeyCache(source: source), issuer: "clipcut", audience: "clipcut")
        let router = makeServiceRouter(context: ClipCutRequestContext.self, metricsRegistry: PrometheusCollectorRegistry())
        router.group("api").add(middleware: JWTAuthenticator(verifier: verifier))
            .add(middleware: RequireAuthenticationMiddleware())
            .get("me") { _, _ in "never" }
        let app = makeServiceApplication(router: router, configuration: ServiceConfiguration(service: .upload))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/me", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                #expect($0.status == .serviceUnavailable)
            }
        }
    }
}
