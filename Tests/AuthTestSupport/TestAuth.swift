import ClipCutCore
import Foundation
import JWTKit
import ServiceSupport

/// Signs access tokens the way user-service does (ES256, `kid` "test") and verifies them
/// through a static JWKS: for router and live tests of the services that only verify tokens.
public struct TestAuth: Sendable {
    /// The signing key.
    public let key = ES256PrivateKey()
    /// A verifier that trusts exactly this key (issuer and audience `clipcut`).
    public let verifier: AccessTokenVerifier

    public struct MissingKeyParameters: Error {}

    public init() throws {
        guard let parameters = key.publicKey.parameters else { throw MissingKeyParameters() }
        let jwks = JWKS(keys: [
            JWK.ecdsa(.es256, identifier: JWKIdentifier(string: "test"), x: parameters.x, y: parameters.y, curve: .p256)
        ])
        verifier = AccessTokenVerifier(keyCache: JWKSKeyCache(source: StaticJWKSSource(jwks)), issuer: "clipcut", audience: "clipcut")
    }

    /// A token for `user` with `role`, valid for an hour.
    public func token(for user: UserID, role: UserRole = .user) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: JWKIdentifier(string: "test"))
        let claims = AccessTokenClaims(
            user: user, role: role, issuer: "clipcut", audience: "clipcut", issuedAt: Date(), expiresAt: Date().addingTimeInterval(3600))
        return try await keys.sign(claims, kid: JWKIdentifier(string: "test"))
    }
}
