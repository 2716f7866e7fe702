import ClipCutCore
import Hummingbird
import Logging

/// Turns everything a route throws into the JSON error body of ``APIError``.
///
/// - ``APIError``: as it is.
/// - Hummingbird's `HTTPError` (including the router's 404 for unmatched paths): its status, the
///   code for that status (``APIError/code(for:)``), its message or the status's reason phrase.
/// - Any other `HTTPResponseError`: its status and the reason phrase (its own text is not trusted).
/// - `DecodingError`: 400 `invalid_json`, with the coding path but not the decoder's text.
/// - Anything else: 500 `internal_error`; the real error is logged with the request id, never sent.
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Runs the rest of the chain and maps what it throws.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.apiError(for: error, context: context).makeResponse()
        }
    }

    /// The client-visible error for `error` (logging what must not be shown).
    static func apiError(for error: any Error, context: Context) -> APIError {
        switch error {
        case let apiError as APIError:
            return apiError
        case let httpError as HTTPError:
            let message = httpError.body ?? Self.defaultMessage(for: httpError.status)
            var headers = httpError.headers
            headers[.contentType] = nil
            headers[.contentLength] = nil
            return APIError(httpError.status, code: APIError.code(for: httpError.status), message: message, headers: headers)
        case let decodingError as DecodingError:
            return APIError.invalidJSON(describing: decodingError)
        case let responseError as any HTTPResponseError:
            if responseError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": .string(String(describing: error))])
            }
            return APIError(
                responseError.status, code: APIError.code(for: responseError.status),
                message: Self.defaultMessage(for: responseError.status))
        default:
            context.logger.error(
                "unhandled error",
                metadata: ["error": .string(String(describing: error)), "error.type": .string(String(describing: type(of: error)))]
            )
            return APIError.internalError
        }
    }

    static func defaultMessage(for status: HTTPResponse.Status) -> String {
        status == .notFound ? "Not found." : status.reasonPhrase + "."
    }
}
