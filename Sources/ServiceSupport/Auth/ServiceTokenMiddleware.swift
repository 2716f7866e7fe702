import Hummingbird

/// Guards internal routes (service to service): the request must carry
/// `Authorization: Bearer <CLIPCUT_SERVICE_TOKEN>` (compared in constant time), else 401.
/// With no token configured every caller passes (local development).
public struct ServiceTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The shared token, if one is configured.
    public let token: String?

    public init(token: String?) {
        self.token = token
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token {
            let expected = "Bearer \(token)"
            guard let presented = request.headers[.authorization], presented.utf8.count == expected.utf8.count,
                  zip(presented.utf8, expected.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
                throw APIError.unauthorized("A valid service token is required.")
            }
        }
        return try await next(request, context)
    }
}
