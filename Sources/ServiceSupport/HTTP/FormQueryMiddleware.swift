import Hummingbird

/// Reads `+` in a query string as a space, as HTML forms and the browser's `URLSearchParams`
/// write it (a plus itself arrives as `%2B`): `?q=Tiny+clip` is the title filter "Tiny clip",
/// not "Tiny+clip". Hummingbird decodes only `%XX`; this rewrites the query before routing, so
/// every handler of every service reads the same values.
public struct FormQueryMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Passes the request on with each `+` in its query as `%20`.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let path = request.head.path, let question = path.firstIndex(of: "?"), path[question...].contains("+") else {
            return try await next(request, context)
        }
        var head = request.head
        head.path = String(path[..<question]) + path[question...].replacingOccurrences(of: "+", with: "%20")
        return try await next(Request(head: head, body: request.body), context)
    }
}
