import ClipCutCore
import Foundation
import JWTKit

/// The claims of a ClipCut access token, as user-service signs them and every service verifies.
///
/// ```json
/// {"sub": "<user id>", "role": "user", "iss": "clipcut", "aud": "clipcut", "iat": 1738324800, "exp": 1738328400}
/// ```
/// The header carries `alg` (`ES256` or `EdDSA`) and the signing key's `kid`.
public struct AccessTokenClaims: JWTPayload, Equatable {
    /// `sub`: the user's id.
    public var subject: SubjectClaim
    /// `exp`: when the token stops being valid.
    public var expiration: ExpirationClaim
    /// `iat`: when the token was issued.
    public var issuedAt: IssuedAtClaim
    /// `iss`: who issued it (``ServiceConfiguration/jwtIssuer``).
    public var issuer: IssuerClaim
    /// `aud`: who it is for (``ServiceConfiguration/jwtAudience``).
    public var audience: AudienceClaim
    /// `role`: `user` or `admin`.
    public var role: UserRole

    enum CodingKeys: String, CodingKey {
        case subject = "sub"
        case expiration = "exp"
        case issuedAt = "iat"
        case issuer = "iss"
        case audience = "aud"
        case role
    }

    /// Creates the claims for `user`.
    public init(
        user: UserID, role: UserRole, issuer: String, audience: String,
        issuedAt: Date = Date(), expiresAt: Date
    ) {
        self.subject = SubjectClaim(value: user.description)
        self.expiration = ExpirationClaim(value: expiresAt)
        self.issuedAt = IssuedAtClaim(value: issuedAt)
        self.issuer = IssuerClaim(value: issuer)
        self.audience = AudienceClaim(value: [audience])
        self.role = role
    }

    /// Called by jwt-kit after the signature checks out: rejects an expired token.
    /// (`iss` and `aud` are checked by ``AccessTokenVerifier``, which knows the expected values.)
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try expiration.verifyNotExpired()
    }
}
