import ClipCutCore
import Foundation
import Hummingbird
import NIOCore
import HummingbirdAuth

/// The user a verified access token names.
public struct AuthenticatedUser: Sendable, Hashable {
    /// The token's `sub`.
    public var id: UserID
    /// The token's `role`.
    public var role: UserRole
    /// The token's `iat`, when it came from a token.
    public var issuedAt: Date?

    /// Creates an identity.
    public init(id: UserID, role: UserRole, issuedAt: Date? = nil) {
        self.id = id
        self.role = role
        self.issuedAt = issuedAt
    }

    /// Whether the user is an administrator.
    public var isAdmin: Bool { role == .admin }

    /// The same user in the same role (when the token was issued does not matter).
    public static func == (lhs: AuthenticatedUser, rhs: AuthenticatedUser) -> Bool { lhs.id == rhs.id && lhs.role == rhs.role }

    /// Hashes the user and the role.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(role)
    }
}

/// The request context of every ClipCut service.
///
/// - `identity` is set by ``JWTAuthenticator`` when the request carries a valid token.
/// - Request bodies decode with ``JSONCoding``'s decoder, and a body that does not decode becomes
///   400 `invalid_json` (see ``ClipCutRequestDecoder``).
/// - Responses encode with ``JSONCoding``'s encoder (sorted keys, millisecond ISO-8601 dates).
public struct ClipCutRequestContext: AuthRequestContext, RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user, if any.
    public var identity: AuthenticatedUser?
    /// The peer's IP address (the proxy's, behind one; see `CLIPCUT_TRUST_FORWARDED_FOR`).
    public let remoteAddress: String?
    /// The event loop of the request's connection: a response body that produces faster than
    /// the socket takes it waits on it (see ``ResponsePacing``).
    public let eventLoop: any EventLoop

    /// Creates the context for a new request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
        self.eventLoop = source.channel.eventLoop
    }

    /// Decodes JSON bodies with the shared decoder and maps failures to `invalid_json`.
    public var requestDecoder: ClipCutRequestDecoder { ClipCutRequestDecoder() }

    /// Encodes JSON responses as ``jsonResponse(_:status:)`` does (one path).
    public var responseEncoder: ClipCutResponseEncoder { ClipCutResponseEncoder() }

    /// The authenticated user, or 401 (with `WWW-Authenticate: Bearer`) when there is none.
    public func requireUser() throws -> AuthenticatedUser {
        guard let identity else { throw APIError.unauthorized() }
        return identity
    }
}

/// Decodes a JSON request body with ``JSONCoding``'s decoder.
///
/// A body that is not JSON, or not the expected shape, throws ``APIError/invalidJSON(_:)`` with a
/// message naming the offending field (never the decoder's own text). Bodies are limited to the
/// context's `maxUploadSize` (413 beyond it).
public struct ClipCutRequestDecoder: RequestDecoder {
    /// Creates the decoder.
    public init() {}

    /// Collects the body and decodes a `T` from it.
    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try JSONCoding.makeDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.invalidJSON(describing: error)
        }
    }
}
