import ClipCutCore
import Foundation
import JWTKit
import Logging
import Synchronization

/// Why an access token was refused. Logged, never shown to the client (who gets a plain 401).
public enum TokenRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not three base64url parts, a header that is not JSON, a payload without the claims, or too long.
    case malformed
    /// The header's `alg` is not `ES256` or `EdDSA` (this includes `none`).
    case unsupportedAlgorithm(String)
    /// The header has no `kid`.
    case missingKeyID
    /// No key of the JWKS has the header's `kid`, even after a refetch.
    case unknownKeyID(String)
    /// The header's `alg` differs from the algorithm of the key named by `kid`.
    case algorithmMismatch
    /// The signature does not verify.
    case invalidSignature
    /// `exp` has passed.
    case expired
    /// `iss` is not the configured issuer.
    case wrongIssuer
    /// `aud` does not include the configured audience.
    case wrongAudience
    /// `sub` is not a user id.
    case invalidSubject
    /// No JWKS could be fetched, so nothing can be verified (the client gets 503, not 401).
    case keysUnavailable
    /// Issued before the user's tokens were revoked (password changed, account deleted).
    case revoked

    /// A readable reason for logs.
    public var description: String {
        switch self {
        case .malformed: "malformed token"
        case .unsupportedAlgorithm(let alg): "unsupported alg \"\(alg)\""
        case .missingKeyID: "token header has no kid"
        case .unknownKeyID(let kid): "unknown kid \"\(kid)\""
        case .algorithmMismatch: "alg does not match the key"
        case .invalidSignature: "invalid signature"
        case .expired: "token expired"
        case .wrongIssuer: "wrong issuer"
        case .wrongAudience: "wrong audience"
        case .invalidSubject: "sub is not a user id"
        case .keysUnavailable: "verification keys unavailable"
        case .revoked: "revoked: issued before the user's tokens were voided"
        }
    }
}

/// Verifies ClipCut access tokens against user-service's published keys.
///
/// A token passes when its header names a supported `alg` (`ES256` or `EdDSA`, never `none`) and
/// a `kid` of the JWKS whose key has that algorithm, the signature verifies, `exp` is in the
/// future, `iss` equals the configured issuer, `aud` includes the configured audience, and `sub`
/// is a user id.
///
/// Verified tokens are remembered until they expire (up to `cacheCapacity` of them, and only
/// while the key set they were verified with is current), so a client reusing its token for many
/// media requests pays for one signature check.
public final class AccessTokenVerifier: Sendable {
    /// The JWKS cache consulted.
    public let keyCache: JWKSKeyCache
    /// The required `iss`.
    public let issuer: String
    /// The required `aud`.
    public let audience: String
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// Per-user revocations checked after the signature (`nil`: none).
    public let revocations: (any TokenRevocations)?
    private let verified: Mutex<[String: VerifiedToken]>
    private let cacheCapacity: Int
    /// The generation of the key set last used, and until when it is fresh: while it is, a
    /// token verified under it is answered from `verified` without touching the key cache.
    private let currentKeySet = Mutex<(generation: Int, freshUntil: ContinuousClock.Instant)?>(nil)

    /// Longest token accepted, in bytes.
    public static let maximumTokenLength = 8 * 1024

    private struct VerifiedToken {
        let user: AuthenticatedUser
        let expiresAt: Date
        let generation: Int
    }

    /// Creates a verifier.
    public init(
        keyCache: JWKSKeyCache,
        issuer: String,
        audience: String,
        cacheCapacity: Int = 10_000,
        logger: Logger = Logger(label: "clipcut.auth"),
        revocations: (any TokenRevocations)? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.revocations = revocations
        self.keyCache = keyCache
        self.issuer = issuer
        self.audience = audience
        self.cacheCapacity = cacheCapacity
        self.logger = logger
        self.now = now
        self.verified = Mutex([:])
    }

    /// The user `token` names, unless the user's tokens were revoked after it was issued.
    /// - Throws: ``TokenRejection``.
    public func verify(_ token: String) async throws(TokenRejection) -> AuthenticatedUser {
        let user = try await verifySignature(token)
        if let revocations, let issuedAt = user.issuedAt, let before = await revocations.revokedBefore(user.id),
           issuedAt.timeIntervalSince1970 < before.timeIntervalSince1970 - 0.0005 {  // iat and the marker have milliseconds
            throw .revoked
        }
        return user
    }

    /// The user `token` names, from its signature and claims alone.
    private func verifySignature(_ token: String) async throws(TokenRejection) -> AuthenticatedUser {
        guard token.utf8.count <= Self.maximumTokenLength else { throw .malformed }
        // Fast path: a token already verified under the current, fresh key set (a client's
        // repeated media requests) costs one lock and one dictionary lookup.
        if let state = currentKeySet.withLock({ $0 }), keyCache.now() < state.freshUntil,
           let user = cachedUser(for: token, generation: state.generation) {
            return user
        }
        let header = try Self.decodeHeader(of: token)
        guard header.alg == "ES256" || header.alg == "EdDSA" else {
            throw .unsupportedAlgorithm(header.alg)
        }
        guard let kid = header.kid, !kid.isEmpty else { throw .missingKeyID }

        let keySet: VerificationKeySet
        do {
            keySet = try await keyCache.keySet(containing: kid)
        } catch {
            throw .keysUnavailable
        }
        currentKeySet.withLock { $0 = (keySet.generation, keySet.fetchedAt + keyCache.timeToLive) }
        if let user = cachedUser(for: token, generation: keySet.generation) {
            return user
        }
        guard let keyAlgorithm = keySet.algorithms[kid] else { throw .unknownKeyID(kid) }
        guard keyAlgorithm == header.alg else { throw .algorithmMismatch }

        let claims: AccessTokenClaims
        do {
            claims = try await keySet.keys.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError {
            switch error.errorType {
            case .claimVerificationFailure: throw .expired
            case .signatureVerificationFailed: throw .invalidSignature
            default: throw .malformed
            }
        } catch {
            throw .malformed
        }
        guard claims.issuer.value == issuer else { throw .wrongIssuer }
        guard claims.audience.value.contains(audience) else { throw .wrongAudience }
        guard let userID = UserID(claims.subject.value) else { throw .invalidSubject }
        guard claims.expiration.value > now() else { throw .expired }

        let user = AuthenticatedUser(id: userID, role: claims.role, issuedAt: claims.issuedAt.value)
        remember(token, user: user, expiresAt: claims.expiration.value, generation: keySet.generation)
        return user
    }

    private func cachedUser(for token: String, generation: Int) -> AuthenticatedUser? {
        let timestamp = now()
        return verified.withLock { cache in
            guard let entry = cache[token] else { return nil }
            guard entry.generation == generation, entry.expiresAt > timestamp else {
                cache[token] = nil
                return nil
            }
            return entry.user
        }
    }

    private func remember(_ token: String, user: AuthenticatedUser, expiresAt: Date, generation: Int) {
        let timestamp = now()
        verified.withLock { cache in
            if cache.count >= cacheCapacity {
                cache = cache.filter { $0.value.expiresAt > timestamp && $0.value.generation == generation }
                if cache.count >= cacheCapacity { cache.removeAll(keepingCapacity: true) }
            }
            cache[token] = VerifiedToken(user: user, expiresAt: expiresAt, generation: generation)
        }
    }

    /// The JOSE header fields the verifier looks at.
    struct Header: Decodable {
        var alg: String
        var kid: String?
    }

    static func decodeHeader(of token: String) throws(TokenRejection) -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]) else { throw .malformed }
        guard let header = try? JSONDecoder().decode(Header.self, from: headerData) else { throw .malformed }
        return header
    }
}

/// base64url without padding (RFC 7515 §2).
public enum Base64URL {
    /// Decodes unpadded base64url; `nil` for anything else.
    public static func decode(_ text: Substring) -> Data? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = base64.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: base64)
    }

    /// Encodes as unpadded base64url.
    public static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
