import ClipCutCore
import Foundation
import JWTKit
import ServiceSupport
import Synchronization
import Testing

@Suite("JWKS cache and token verifier")
struct JWKSKeyCacheTests {
    @Test("a known kid is served from the cache until the TTL runs out")
    func cachesUntilTTL() async throws {
        let keys = try TestSigningKeys()
        let source = ScriptedJWKSSource(.success(try keys.jwks()))
        let clock = ManualClock()
        let cache = JWKSKeyCache(
            source: source, timeToLive: .seconds(300), minimumRefetchInterval: .seconds(10), now: { clock.now })
        for _ in 0..<5 {
            let set = try await cache.keySet(containing: TestSigningKeys.es256KeyID)
            #expect(set.algorithms == [TestSigningKeys.es256KeyID: "ES256", TestSigningKeys.ed25519KeyID: "EdDSA"])
        }
        #expect(source.fetchCount == 1)
        clock.advance(by: .seconds(301))
        _ = try await cache.keySet(containing: TestSigningKeys.es256KeyID)
        #expect(source.fetchCount == 2)
    }

    @Test("an unknown kid triggers a refetch, at most once per interval")
    func refetchesOnUnknownKid() async throws {
        let oldKeys = try TestSigningKeys()
        let source = ScriptedJWKSSource(.success(JWKS(keys: [try oldKeys.jwks().keys[0]])))
        let clock = ManualClock()
        let cache = JWKSKeyCache(source: source, minimumRefetchInterval: .seconds(10), now: { clock.now })
        _ = try await cache.keySet(containing: TestSigningKeys.es256KeyID)
        #expect(source.fetchCount == 1)

        // user-service rotates: the new key's kid is published.
        source.serve(.success(try oldKeys.jwks()))
        var set = try await cache.keySet(containing: TestSigningKeys.ed25519KeyID)
        #expect(source.fetchCount == 1, "a refetch right after a fetch is rate-limited")
        #expect(set.algorithms[TestSigningKeys.ed25519KeyID] == nil)

        clock.advance(by: .seconds(11))
        set = try await cache.keySet(containing: TestSigningKeys.ed25519KeyID)
        #expect(source.fetchCount == 2)
        #expect(set.algorithms[TestSigningKeys.ed25519KeyID] == "EdDSA")

        // A flood of made-up kids costs one fetch per interval.
        for index in 0..<20 {
            _ = try await cache.keySet(containing: "made-up-\(index)")
        }
        #expect(source.fetchCount == 2)
        clock.advance(by: .seconds(11))
        for index in 0..<20 {
            _ = try await cache.keySet(containing: "made-up-\(index)")
        }
        #expect(source.fetchCount == 3)
    }

    @Test("concurrent callers share one fetch")
    func coalescesFetches() async throws {
        let source = ScriptedJWKSSource(.success(try TestSigningKeys().jwks()), delay: .milliseconds(100))
        let cache = JWKSKeyCache(source: source)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask { _ = try await cache.keySet(containing: TestSigningKeys.es256KeyID) }
            }
            try await group.waitForAll()
        }
        #expect(source.fetchCount == 1)
    }

    @Test("without any key set the cache throws; after a failed refresh the old set stays")
    func failures() async throws {
        let source = ScriptedJWKSSource(.failure(JWKSFetchError.invalidBody))
        let clock = ManualClock()
        let cache = JWKSKeyCache(source: source, timeToLive: .seconds(60), now: { clock.now })
        await #expect(throws: JWKSUnavailableError.self) {
            try await cache.keySet(containing: "any")
        }
        clock.advance(by: .seconds(11))
        source.serve(.success(try TestSigningKeys().jwks()))
        _ = try await cache.keySet(containing: TestSigningKeys.es256KeyID)
        source.serve(.failure(JWKSFetchError.unexpectedStatus(500)))
        clock.advance(by: .seconds(61))
        let stale = try await cache.keySet(containing: TestSigningKeys.es256KeyID)
        #expect(stale.algorithms[TestSigningKeys.es256KeyID] == "ES256")
        #expect(source.fetchCount == 3)
    }

    @Test("keys the services cannot use are skipped, private parts are never kept")
    func skipsUnusableKeys() async throws {
        let keys = try TestSigningKeys()
        let parameters = try #require(keys.es256.publicKey.parameters)
        let jwks = JWKS(keys: [
            JWK.ecdsa(.es256, identifier: nil, x: parameters.x, y: parameters.y, curve: .p256),
            JWK.ecdsa(.es384, identifier: "p384", x: parameters.x, y: parameters.y, curve: .p384),
            JWK.rsa(.rs256, identifier: "rsa", modulus: "AQAB", exponent: "AQAB"),
            JWK.ecdsa(.es256, identifier: "good", x: parameters.x, y: parameters.y, curve: .p256),
        ])
        let cache = JWKSKeyCache(source: StaticJWKSSource(jwks))
        let set = try await cache.keySet(containing: "good")
        #expect(set.algorithms == ["good": "ES256"])
    }

    @Test("a token issued before the user's tokens were revoked is refused; one issued after is not")
    func revokedTokens() async throws {
        let keys = try TestSigningKeys()
        let revocations = InMemoryRevocations()
        let verifier = AccessTokenVerifier(
            keyCache: JWKSKeyCache(source: StaticJWKSSource(try keys.jwks())), issuer: "clipcut", audience: "clipcut", revocations: revocations)
        let user = UserID.random()
        var early = TestSigningKeys.claims(user: user)
        early.issuedAt = IssuedAtClaim(value: Date().addingTimeInterval(-60))
        let old = try await keys.es256Token(early)
        #expect(try await verifier.verify(old).id == user)  // verified once: now in the verifier's cache
        try await revocations.revoke(user, before: Date().addingTimeInterval(-30), lifetime: .seconds(3600))
        await #expect(throws: TokenRejection.revoked) { try await verifier.verify(old) }
        #expect(try await verifier.verify(try await keys.es256Token(TestSigningKeys.claims(user: user))).id == user)
        #expect(try await verifier.verify(try await keys.es256Token(TestSigningKeys.claims(user: .random()))).role == .user)
    }

    @Test("the verifier names the reason for each rejection")
    func rejectionReasons() async throws {
        let keys = try TestSigningKeys()
        let verifier = AccessTokenVerifier(
            keyCache: JWKSKeyCache(source: StaticJWKSSource(try keys.jwks())), issuer: "clipcut", audience: "clipcut")
        let user = UserID.random()
        let valid = try await keys.es256Token(TestSigningKeys.claims(user: user))
        #expect(try await verifier.verify(valid) == AuthenticatedUser(id: user, role: .user))
        // A second verification of the same token comes from the cache and gives the same user.
        #expect(try await verifier.verify(valid) == AuthenticatedUser(id: user, role: .user))

        await #expect(throws: TokenRejection.expired) {
            try await verifier.verify(try await keys.es256Token(TestSigningKeys.claims(expiresIn: -1)))
        }
        await #expect(throws: TokenRejection.invalidSignature) {
            try await verifier.verify(try await keys.es256Token(TestSigningKeys.claims(), key: ES256PrivateKey()))
        }
        await #expect(throws: TokenRejection.unsupportedAlgorithm("none")) {
            try await verifier.verify(unsignedToken())
        }
        await #expect(throws: TokenRejection.wrongAudience) {
            try await verifier.verify(try await keys.es256Token(TestSigningKeys.claims(audience: "x")))
        }
        await #expect(throws: TokenRejection.wrongIssuer) {
            try await verifier.verify(try await keys.es256Token(TestSigningKeys.claims(issuer: "x")))
        }
        await #expect(throws: TokenRejection.algorithmMismatch) {
            // An ES256 signature presented under the Ed25519 key's kid.
            try await verifier.verify(
                try await keys.es256Token(TestSigningKeys.claims(), kid: TestSigningKeys.ed25519KeyID))
        }
        await #expect(throws: TokenRejection.malformed) {
            try await verifier.verify("a.b")
        }
        await #expect(throws: TokenRejection.malformed) {
            try await verifier.verify(String(repeating: "a", count: 9000))
        }
    }
}

/// Revocations in memory (the Redis one is exercised end to end by Tests/Hostile/revocation.py).
final class InMemoryRevocations: TokenRevocations {
    private let before = Mutex<[UserID: Date]>([:])

    func revokedBefore(_ user: UserID) async -> Date? { before.withLock { $0[user] } }

    func revoke(_ user: UserID, before date: Date, lifetime: Duration) async throws {
        before.withLock { $0[user] = date }
    }
}
