import AsyncHTTPClient
import ClipCutCore
import Foundation
import NIOCore
import NIOHTTP1

/// A response read whole (JSON answers; media is streamed by ``APIClient/stream(_:headers:)``).
struct APIResponse {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: Data

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONCoding.decode(type, from: body)
        } catch {
            throw CLIError("unexpected answer from the server (\(status.code)): \(error)")
        }
    }
}

/// The REST API of one ClipCut server (its edge: every route on one origin).
struct APIClient {
    let http: HTTPClient
    let server: String
    var token: String?

    /// Runs `body` with a client whose connections are closed afterwards.
    static func with<T>(server: String, token: String?, _ body: (APIClient) async throws -> T) async throws -> T {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let value = try await body(APIClient(http: http, server: server.hasSuffix("/") ? String(server.dropLast()) : server, token: token))
            try await http.shutdown()
            return value
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Runs `body` against the logged-in server with the stored token.
    static func withLogin<T>(_ body: (APIClient, Credentials) async throws -> T) async throws -> T {
        let credentials = try ConfigStore().loadCredentials()
        return try await with(server: credentials.server, token: credentials.token) { try await body($0, credentials) }
    }

    func request(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : server + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// Sends a request and reads the whole answer (at most 16 MiB); a 4xx or 5xx becomes a
    /// ``CLIError`` with the API's message, unless its status is in `accepting`.
    func send(_ request: HTTPClientRequest, accepting: Set<UInt> = [], timeout: TimeAmount = .seconds(60)) async throws -> APIResponse {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw CLIError("cannot reach \(server): \(error)", code: .unavailable)
        }
        let body = try await response.body.collect(upTo: 16 << 20)
        let answer = APIResponse(status: response.status, headers: response.headers, body: Data(body.readableBytesView))
        if response.status.code >= 400, !accepting.contains(response.status.code) { throw Self.error(answer) }
        return answer
    }

    /// `a=1&b=x%20y`, every reserved character percent-encoded (`+` too).
    static func query(_ items: [(String, String?)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return items.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
        }.joined(separator: "&")
    }

    func get(_ path: String) async throws -> APIResponse { try await send(request(.GET, path)) }

    func postJSON(_ path: String, _ value: some Encodable) async throws -> APIResponse {
        var request = request(.POST, path, headers: [("Content-Type", "application/json")])
        request.body = .bytes(ByteBuffer(bytes: try JSONCoding.encode(value)))
        return try await send(request)
    }

    /// Starts a streamed response (media, the SSE feed); 4xx/5xx become errors.
    func stream(_ request: HTTPClientRequest, timeout: TimeAmount = .hours(24)) async throws -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw CLIError("cannot reach \(server): \(error)", code: .unavailable)
        }
        if response.status.code >= 400 {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            throw Self.error(APIResponse(status: response.status, headers: response.headers, body: body))
        }
        return response
    }

    /// The API's `{"error":{"code","message"}}` as a ``CLIError`` with the matching exit code.
    static func error(_ response: APIResponse) -> CLIError {
        struct Body: Decodable {
            struct Detail: Decodable { var code: String; var message: String }
            var error: Detail
        }
        let message = (try? JSONCoding.decode(Body.self, from: response.body)).map { "\($0.error.message) (\($0.error.code))" }
            ?? "the server answered \(response.status.code) \(response.status.reasonPhrase)"
        switch response.status.code {
        case 401: return CLIError("\(message); run `clipcut login` again", code: .notAuthenticated)
        case 404: return CLIError(message, code: .notFound)
        case 400..<500: return CLIError(message, code: .rejected)
        default: return CLIError(message, code: .unavailable)
        }
    }
}
