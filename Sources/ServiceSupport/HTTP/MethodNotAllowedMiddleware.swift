import Hummingbird

/// Answers a request whose path exists only with other methods with `405 method_not_allowed`
/// and an `Allow` header listing them, instead of the router's 404: `curl -T` sends `PUT`,
/// and "not found" for a path that exists sends people looking for a typo.
///
/// It sits on the router's not-found chain only (``Router/answerOtherMethodsWith405()`` adds it
/// after every route, and Hummingbird gives a middleware only to the routes added after it), so
/// a handler's own 404 ("No such video.") is never touched.
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each route path with the methods it takes.
    let routes: [(path: RouterPath, methods: [HTTPRequest.Method])]

    /// A middleware for `routes` (a router's ``Router/routes``).
    public init(routes: [Router<Context>.RouteDescription]) {
        var byPath: [String: (path: RouterPath, methods: [HTTPRequest.Method])] = [:]
        for route in routes {
            byPath[route.path.description, default: (route.path, [])].methods.append(route.method)
        }
        self.routes = byPath.values.sorted { $0.path.description < $1.path.description }
    }

    /// Passes everything on; turns the router's 404 for a path that takes other methods into a 405.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = allowedMethods(forPath: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            let list = allowed.map(\.rawValue).joined(separator: ", ")
            var refusal = APIError(.methodNotAllowed, code: "method_not_allowed", message: "This path takes \(list), not \(request.method.rawValue).")
            refusal.headers[.allow] = list
            throw refusal
        }
    }

    /// The methods some route takes at `path`, sorted; empty when no route has the path.
    public func allowedMethods(forPath path: String) -> [HTTPRequest.Method] {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods = Set<String>()
        for route in routes where Self.matches(route.path.components, components[...]) {
            for method in route.methods { methods.insert(method.rawValue) }
        }
        return methods.sorted().compactMap { HTTPRequest.Method($0) }
    }

    /// Whether a route's path elements match the request's path components, as the router's trie
    /// would: one component per element, `**` for one or more.
    static func matches(_ elements: [RouterPath.Element], _ components: ArraySlice<Substring>) -> Bool {
        guard let element = elements.first else { return components.isEmpty }
        if element == .recursiveWildcard { return !components.isEmpty }
        guard let component = components.first, element ~= component else { return false }
        return matches(Array(elements.dropFirst()), components.dropFirst())
    }
}

extension Router {
    /// Adds ``MethodNotAllowedMiddleware`` for every route added so far: call it last.
    public func answerOtherMethodsWith405() {
        add(middleware: MethodNotAllowedMiddleware<Context>(routes: routes))
    }
}
