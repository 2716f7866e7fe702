import HTTPTypes
import Hummingbird

/// Handing a cached media copy to the nginx edge, which sends it with `sendfile` (the kernel
/// copies the page cache to the socket; no byte passes through Swift).
///
/// The edge marks the requests it forwards with ``locationHeader``, naming its `internal`
/// location that serves the cache's `objects` directory; upload-service, having authorised the
/// request and answered conditional requests itself, replies with an empty body and
/// `X-Accel-Redirect: <location><videoId>/<fileId>.<length>`. nginx keeps this reply's
/// `Content-Type` and `Cache-Control`, and its location adds our `ETag` (its `If-Range`
/// compares against it); `Content-Range` and `Accept-Ranges` are left to nginx. A request that did not come through such an edge gets the bytes from
/// upload-service itself.
enum EdgeHandOff {
    /// Set by the edge on what it forwards (clients cannot: nginx replaces it).
    static let locationHeader = HTTPField.Name.clipcutMediaCacheLocation
    /// The reply header nginx acts on.
    static let redirect = HTTPField.Name.accelRedirect

    /// The edge's location for cached copies, if the request came through one: a plain
    /// absolute path ending in `/`, e.g. `/_media-cache/`.
    static func location(in request: Request) -> String? {
        guard request.method == .get, let value = request.headers[locationHeader] else { return nil }
        guard value.count <= 64, value.hasPrefix("/"), value.hasSuffix("/"), !value.contains(".."),
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/_-".contains($0)) }) else { return nil }
        return value
    }
}
