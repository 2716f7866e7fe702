import ClipCutCore
import Foundation
import Hummingbird

/// An error a client sees: an HTTP status and the JSON body
/// `{"error":{"code":"not_found","message":"No such video."}}`.
///
/// `code` is a stable, machine-readable snake_case word; `message` is a sentence for people.
/// Neither may contain text from a C library, a database or any other internal error: build
/// messages from what the client sent, never from a caught error's description.
public struct APIError: HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// Machine-readable code, e.g. `invalid_json`.
    public var code: String
    /// Human-readable explanation.
    public var message: String
    /// Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`.
    public var headers: HTTPFields

    /// Creates an error response.
    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// For logs: `APIError(404 not_found: No such video.)`.
    public var description: String {
        "APIError(\(status.code) \(code): \(message))"
    }

    /// The JSON body with `Content-Type: application/json` and the extra headers.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    /// The JSON response, without needing a request (middleware, tests).
    public func makeResponse() -> Response {
        let body = ErrorBody(error: .init(code: code, message: message))
        let data = (try? JSONCoding.encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":""}}"#.utf8)
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The body's shape.
    struct ErrorBody: Codable, Equatable {
        struct Detail: Codable, Equatable {
            var code: String
            var message: String
        }

        var error: Detail
    }
}

extension APIError {
    /// 400 `bad_request`.
    public static func badRequest(_ message: String) -> APIError {
        APIError(.badRequest, code: "bad_request", message: message)
    }

    /// 400 `invalid_json`: the body is not JSON or not the expected shape.
    public static func invalidJSON(_ message: String = "The request body is not valid JSON.") -> APIError {
        APIError(.badRequest, code: "invalid_json", message: message)
    }

    /// 400 `invalid_json` for a body that failed to decode, naming the offending field from the
    /// error's coding path but never repeating the decoder's own text.
    public static func invalidJSON(describing error: DecodingError) -> APIError {
        invalidJSON(describe(error))
    }

    /// A description of a decoding error built only from its kind and coding path.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let rendered = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return rendered.isEmpty ? "the body" : "`\(rendered)`"
        }
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "The request body is not valid JSON."
                : "Invalid value at \(path(context.codingPath))."
        case .keyNotFound(let key, let context):
            return "Missing field \(path(context.codingPath + [key]))."
        case .valueNotFound(_, let context):
            return "Missing value at \(path(context.codingPath))."
        case .typeMismatch(_, let context):
            return "Wrong type at \(path(context.codingPath))."
        @unknown default:
            return "The request body is not valid JSON."
        }
    }

    /// 401 `unauthorized` with `WWW-Authenticate: Bearer` (and `error="invalid_token"` when a
    /// token was sent but rejected, as RFC 6750 asks).
    public static func unauthorized(
        _ message: String = "Authentication is required.", invalidToken: Bool = false
    ) -> APIError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = invalidToken ? #"Bearer error="invalid_token""# : "Bearer"
        return APIError(.unauthorized, code: "unauthorized", message: message, headers: headers)
    }

    /// 403 `forbidden`.
    public static func forbidden(_ message: String = "You are not allowed to do this.") -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }

    /// 404 `not_found`.
    public static func notFound(_ message: String = "Not found.") -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }

    /// 409 `conflict`.
    public static func conflict(_ message: String) -> APIError {
        APIError(.conflict, code: "conflict", message: message)
    }

    /// 500 `internal_error`, with a message that reveals nothing.
    public static var internalError: APIError {
        APIError(.internalServerError, code: "internal_error", message: "An internal error occurred.")
    }

    /// 503 `service_unavailable`.
    public static func serviceUnavailable(_ message: String = "The service is temporarily unavailable.") -> APIError {
        APIError(.serviceUnavailable, code: "service_unavailable", message: message)
    }

    /// The code used for `status` when an error carries no code of its own.
    public static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 406: "not_acceptable"
        case 408: "request_timeout"
        case 409: "conflict"
        case 410: "gone"
        case 411: "length_required"
        case 412: "precondition_failed"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 416: "range_not_satisfiable"
        case 422: "unprocessable_entity"
        case 429: "too_many_requests"
        case 500: "internal_error"
        case 501: "not_implemented"
        case 502: "bad_gateway"
        case 503: "service_unavailable"
        case 504: "gateway_timeout"
        default:
            status.reasonPhrase.isEmpty
                ? "http_\(status.code)"
                : status.reasonPhrase.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        }
    }
}
