import ClipCutCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Prometheus
import ServiceSupport
import Testing

@Suite("JSON error bodies")
struct JSONErrorMiddlewareTests {
    struct Payload: Codable {
        var title: String
        var count: Int
    }

    func makeApp() -> some ApplicationProtocol {
        let router = makeServiceRouter(
            context: ClipCutRequestContext.self, metricsRegistry: PrometheusCollectorRegistry())
        router.get("/http-error") { _, _ -> String in
            throw HTTPError(.conflict, message: "That name is taken.")
        }
        router.get("/http-error-no-message") { _, _ -> String in
            throw HTTPError(.forbidden)
        }
        router.get("/api-error") { _, _ -> String in
            throw APIError(.unprocessableContent, code: "no_audio", message: "The video has no audio track.")
        }
        router.post("/decode") { request, context -> String in
            let payload = try await request.decode(as: Payload.self, context: context)
            return payload.title
        }
        router.post("/decode-raw") { request, _ -> String in
            let body = try await request.body.collect(upTo: 1024)
            return try JSONDecoder().decode(Payload.self, from: Data(body.readableBytesView)).title
        }
        router.get("/boom") { _, _ -> String in
            throw SecretError()
        }
        return makeServiceApplication(router: router, configuration: ServiceConfiguration(service: .audio))
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }

        var error: Detail
    }

    func errorBody(_ response: TestResponse) throws -> ErrorBody {
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        return try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView))
    }

    @Test("HTTPError becomes the JSON body with a code for its status")
    func httpError() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/http-error", method: .get) { response in
                #expect(response.status == .conflict)
                let body = try errorBody(response)
                #expect(body.error.code == "conflict")
                #expect(body.error.message == "That name is taken.")
            }
            try await client.execute(uri: "/http-error-no-message", method: .get) { response in
                #expect(response.status == .forbidden)
                let code = try errorBody(response).error.code
                #expect(code == "forbidden")
            }
        }
    }

    @Test("APIError keeps its code and message")
    func apiError() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/api-error", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                let body = try errorBody(response)
                #expect(body.error.code == "no_audio")
                #expect(body.error.message == "The video has no audio track.")
            }
        }
    }

    @Test(
        "a body that does not decode is 400 invalid_json",
        arguments: ["/decode", "/decode-raw"],
        [#"{"title": "x", "#, #"{"title": "x"}"#, #"{"title": 1, "count": 2}"#, "", "<xml/>"]
    )
    func invalidJSON(route: String, body: String) async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: route, method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                let error = try errorBody(response).error
                #expect(error.code == "invalid_json")
                #expect(!error.message.contains("Swift"))
            }
        }
    }

    @Test("a valid body decodes")
    func validJSON() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(
                uri: "/decode", method: .post, body: ByteBuffer(string: #"{"title":"ok","count":1}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok")
            }
        }
    }

    @Test("an unknown error is 500 internal_error and its text is not sent")
    func unknownError() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                let text = String(buffer: response.body)
                #expect(!text.contains("hunter2"))
                #expect(!text.contains("db.internal"))
                let code = try errorBody(response).error.code
                #expect(code == "internal_error")
            }
        }
    }

    @Test("an unmatched route is 404 with the JSON body; a path that takes other methods is 405 with the JSON body")
    func notFound() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                let code = try errorBody(response).error.code
                #expect(code == "not_found")
            }
            try await client.execute(uri: "/health", method: .delete) { response in
                #expect(response.status == .methodNotAllowed && response.headers[.allow] == "GET")
                let code = try errorBody(response).error.code
                #expect(code == "method_not_allowed")
            }
        }
    }
}
