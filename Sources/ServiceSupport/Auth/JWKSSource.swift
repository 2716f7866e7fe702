import AsyncHTTPClient
import Foundation
import JWTKit
import Logging

/// Where the token-verification keys come from.
///
/// In production ``HTTPJWKSSource`` fetches user-service's `GET /api/auth/jwks`; tests may serve
/// a key set directly.
public protocol JWKSSource: Sendable {
    /// Fetches the current key set.
    func fetchJWKS() async throws -> JWKS
}

/// Why a JWKS could not be fetched.
public enum JWKSFetchError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The server answered with a status other than 200.
    case unexpectedStatus(Int)
    /// The body is not a JWKS.
    case invalidBody

    /// A readable description for logs.
    public var description: String {
        switch self {
        case .unexpectedStatus(let code): "JWKS request answered with HTTP \(code)"
        case .invalidBody: "JWKS response is not a JSON Web Key Set"
        }
    }
}

/// Fetches a JWKS over HTTP(S) with AsyncHTTPClient.
///
/// The `HTTPClient` is borrowed: whoever created it shuts it down (see ``HTTPClientService``).
public struct HTTPJWKSSource: JWKSSource {
    /// The JWKS document's URL.
    public let url: URL
    /// The client making the requests.
    public let httpClient: HTTPClient
    /// Request timeout in seconds.
    public let timeoutSeconds: Int64
    /// Largest body accepted.
    public let maximumBodySize: Int

    /// Creates a source for `url`.
    public init(url: URL, httpClient: HTTPClient, timeoutSeconds: Int64 = 5, maximumBodySize: Int = 1 << 20) {
        self.url = url
        self.httpClient = httpClient
        self.timeoutSeconds = timeoutSeconds
        self.maximumBodySize = maximumBodySize
    }

    /// GETs the key set.
    public func fetchJWKS() async throws -> JWKS {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await httpClient.execute(request, timeout: .seconds(timeoutSeconds))
        guard response.status.code == 200 else {
            throw JWKSFetchError.unexpectedStatus(Int(response.status.code))
        }
        let body = try await response.body.collect(upTo: maximumBodySize)
        do {
            return try JSONDecoder().decode(JWKS.self, from: Data(body.readableBytesView))
        } catch {
            throw JWKSFetchError.invalidBody
        }
    }
}

/// A JWKS served from memory (tests, tools, a service that owns its keys).
public struct StaticJWKSSource: JWKSSource {
    /// The key set returned.
    public let jwks: JWKS

    /// Serves `jwks`.
    public init(_ jwks: JWKS) {
        self.jwks = jwks
    }

    /// Returns the key set.
    public func fetchJWKS() async throws -> JWKS {
        jwks
    }
}
