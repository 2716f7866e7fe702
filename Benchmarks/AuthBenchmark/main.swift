// The figures of `scripts/bench auth` (issue [02]):
//   - logins per second at a bcrypt cost (default 12): the password check a login costs, on
//     every core at once, as user-service runs it (SHA-256 pre-hash, then bcrypt);
//   - access-token verifications per second on one core, through AccessTokenVerifier, which is
//     what JWTAuthenticator (every other service's middleware) calls after reading the header:
//     once for distinct tokens (an ES256 signature check each) and once for one token reused
//     (a client's media requests; served from the verified-token cache).
//
//   AuthBenchmark [--cost 12] [--seconds 5] [--tokens 20000]
import ClipCutCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import JWTKit
import Logging
import NIOCore
import NIOEmbedded
import ServiceSupport

func option(_ name: String, default value: Int) -> Int {
    guard let index = CommandLine.arguments.firstIndex(of: name), index + 1 < CommandLine.arguments.count,
          let parsed = Int(CommandLine.arguments[index + 1]) else { return value }
    return parsed
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

let cost = option("--cost", default: 12)
let runSeconds = option("--seconds", default: 5)
let tokenCount = option("--tokens", default: 20_000)
let cores = ProcessInfo.processInfo.activeProcessorCount

// MARK: logins

let prehashed = Data(SHA256.hash(data: Data("correct horse battery staple".utf8))).base64EncodedString()
let hash = Bcrypt.hash(prehashed, cost: UInt8(cost))
let deadline = ContinuousClock.now + .seconds(runSeconds)
let loginStart = ContinuousClock.now
let logins = await withTaskGroup(of: Int.self) { group in
    for _ in 0..<cores {
        group.addTask {
            var count = 0
            while ContinuousClock.now < deadline {
                precondition(Bcrypt.verify(prehashed, hash: hash))
                count += 1
            }
            return count
        }
    }
    var total = 0
    for await count in group { total += count }
    return total
}
let loginRate = Double(logins) / seconds(ContinuousClock.now - loginStart)
print(String(format: "logins: %.1f/s at bcrypt cost %d on %d cores (%.0f ms each per core)", loginRate, cost, cores, 1000 * Double(cores) / loginRate))

// MARK: token verification

let key = ES256PrivateKey()
guard let parameters = key.parameters else { fatalError("no public key parameters") }
let kid = "bench"
let jwksJSON = #"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"\#(kid)","x":"\#(parameters.x)","y":"\#(parameters.y)"}]}"#
let jwks = try JSONDecoder().decode(JWKS.self, from: Data(jwksJSON.utf8))
let signer = JWTKeyCollection()
await signer.add(ecdsa: key, kid: JWKIdentifier(string: kid))
var tokens: [String] = []
tokens.reserveCapacity(tokenCount)
for index in 0..<tokenCount {
    let claims = AccessTokenClaims(
        user: .random(), role: .user, issuer: "clipcut", audience: "clipcut",
        issuedAt: Date(), expiresAt: Date().addingTimeInterval(3600 + Double(index))
    )
    tokens.append(try await signer.sign(claims, kid: JWKIdentifier(string: kid)))
}

func makeVerifier() -> AccessTokenVerifier {
    AccessTokenVerifier(keyCache: JWKSKeyCache(source: StaticJWKSSource(jwks)), issuer: "clipcut", audience: "clipcut")
}

let distinctVerifier = makeVerifier()
_ = try await distinctVerifier.verify(tokens[0])  // warm the key cache
let distinctStart = ContinuousClock.now
for token in tokens.dropFirst() {
    _ = try await distinctVerifier.verify(token)
}
let distinctRate = Double(tokens.count - 1) / seconds(ContinuousClock.now - distinctStart)

let reusedVerifier = makeVerifier()
let reused = tokens[0]
_ = try await reusedVerifier.verify(reused)
let reuseCount = 200_000
let reusedStart = ContinuousClock.now
for _ in 0..<reuseCount {
    _ = try await reusedVerifier.verify(reused)
}
let reusedRate = Double(reuseCount) / seconds(ContinuousClock.now - reusedStart)

// Through the middleware: a router like a media service's, a token-protected group, one route;
// each request gets a new context, runs JSONErrorMiddleware and JWTAuthenticator, and the route.
func middlewareRate(tokens: [String], repeats: Int) async throws -> Double {
    let router = Router(context: ClipCutRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    router.authenticatedGroup("api/videos", verifier: makeVerifier()).get(":id") { _, _ in HTTPResponse.Status.ok }
    let responder = router.buildResponder()
    let channel = EmbeddedChannel()
    let logger = Logger(label: "bench")
    func run(_ token: String) async throws {
        let request = Request(
            head: HTTPRequest(
                method: .get, scheme: "http", authority: "localhost", path: "/api/videos/v1",
                headerFields: [.authorization: "Bearer \(token)"]
            ),
            body: RequestBody(buffer: ByteBuffer())
        )
        let context = ClipCutRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        let response = try await responder.respond(to: request, context: context)
        precondition(response.status == .ok, "the benchmark's token was refused")
    }
    try await run(tokens[0])  // fetch the key set
    let start = ContinuousClock.now
    var count = 0
    for _ in 0..<repeats {
        for token in tokens {
            try await run(token)
            count += 1
        }
    }
    return Double(count) / seconds(ContinuousClock.now - start)
}

let middlewareDistinct = try await middlewareRate(tokens: Array(tokens.dropFirst()), repeats: 1)
let middlewareReused = try await middlewareRate(tokens: [tokens[0]], repeats: 100_000)

// The floor: one bare P-256 signature check (swift-crypto) per token, nothing else.
let rawKey = P256.Signing.PrivateKey()
let message = Data(tokens[0].utf8)
let rawSignature = try rawKey.signature(for: message)
let rawCount = 10_000
let rawStart = ContinuousClock.now
for _ in 0..<rawCount {
    precondition(rawKey.publicKey.isValidSignature(rawSignature, for: message))
}
let rawRate = Double(rawCount) / seconds(ContinuousClock.now - rawStart)

let target = 20_000.0
print(String(format: "bare P-256 signature checks (swift-crypto, the floor of a distinct token): %.0f/s on one core", rawRate))
print(String(format: "verifications, distinct tokens (ES256 check each): %.0f/s on one core, %.2fx the 20,000/s target", distinctRate, distinctRate / target))
print(String(format: "verifications, one token reused (cache): %.0f/s on one core, %.2fx the 20,000/s target", reusedRate, reusedRate / target))
print(String(format: "requests through the auth middleware, distinct tokens: %.0f/s on one core, %.2fx the target", middlewareDistinct, middlewareDistinct / target))
print(String(format: "requests through the auth middleware, one token reused: %.0f/s on one core, %.2fx the target", middlewareReused, middlewareReused / target))
