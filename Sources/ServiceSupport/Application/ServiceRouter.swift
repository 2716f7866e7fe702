import ClipCutCore
import Foundation
import Hummingbird
import Logging
import Prometheus

/// Creates a router with what every ClipCut service has:
///
/// - middleware, outermost first: request metrics (Hummingbird's `MetricsMiddleware`), request
///   logging at debug level, ``JSONErrorMiddleware`` (so every error, including the 404 of an
///   unmatched path, has the JSON error body), and ``FormQueryMiddleware`` (`+` in a query is a
///   space);
/// - `GET /health`: liveness, always 200 `{"status":"ok"}`;
/// - `GET /ready`: 200 when every check in `readinessChecks` passes within `readinessTimeout`,
///   else 503; the body lists each check's state (see ``ReadinessReport``);
/// - `GET /metrics`: `metricsRegistry` in the Prometheus text exposition format.
///
/// Add the service's own routes to the returned router.
public func makeServiceRouter<Context: RequestContext>(
    context: Context.Type = ClipCutRequestContext.self,
    metricsRegistry: PrometheusCollectorRegistry,
    readinessChecks: [any ReadinessCheck] = [],
    readinessTimeout: Duration = .seconds(2)
) -> Router<Context> {
    let router = Router(context: Context.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: FormQueryMiddleware())
    addOperationalRoutes(
        to: router,
        metricsRegistry: metricsRegistry,
        readiness: ReadinessEvaluator(checks: readinessChecks, timeout: readinessTimeout)
    )
    return router
}

/// Adds `/health`, `/ready` and `/metrics` to `router` (``makeServiceRouter(context:metricsRegistry:readinessChecks:readinessTimeout:)`` does this for you).
public func addOperationalRoutes<Context: RequestContext>(
    to router: Router<Context>,
    metricsRegistry: PrometheusCollectorRegistry,
    readiness: ReadinessEvaluator
) {
    router.get("/health") { _, _ in
        jsonResponse(["status": "ok"])
    }
    router.get("/ready") { _, context in
        let report = await readiness.evaluate(logger: context.logger)
        return jsonResponse(report, status: report.isReady ? .ok : .serviceUnavailable)
    }
    router.get("/metrics") { _, _ in
        let bytes = metricsRegistry.emitToBuffer()
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.contentLength] = String(bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// `value` as a JSON response (``JSONCoding``'s encoder, `application/json; charset=utf-8`, a
/// `Content-Length`), with `status`: the one way ClipCut writes JSON. A value that cannot be
/// encoded gives the generic 500. The request context's ``ClipCutResponseEncoder`` (for handlers
/// that return an `Encodable` value) goes through the same function.
public func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    (try? encodedJSONResponse(value, status: status)) ?? APIError.internalError.makeResponse()
}

/// ``jsonResponse(_:status:)``, throwing when the value cannot be encoded.
func encodedJSONResponse(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
    let data = try JSONCoding.encode(value)
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    headers[.contentLength] = String(data.count)
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// The request context's response encoder: a handler that returns an `Encodable` value gets
/// exactly what ``jsonResponse(_:status:)`` writes, so there is one JSON response path.
public struct ClipCutResponseEncoder: ResponseEncoder {
    /// Creates the encoder.
    public init() {}

    /// `value` as ``jsonResponse(_:status:)`` writes it, status 200.
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        try encodedJSONResponse(value, status: .ok)
    }
}
