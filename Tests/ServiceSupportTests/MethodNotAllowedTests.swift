import ClipCutCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import ServiceSupport
import Testing

@Suite("A path that exists with other methods: 405 with Allow, not 404")
struct MethodNotAllowedTests {
    func makeApp() -> some ApplicationProtocol {
        let router = makeServiceRouter(context: ClipCutRequestContext.self, metricsRegistry: PrometheusCollectorRegistry())
        router.post("/api/videos") { _, _ in "posted" }
        router.get("/api/videos") { _, _ in "listed" }
        router.get("/api/videos/:id") { _, context -> String in
            guard context.parameters.get("id") == "known" else { throw APIError.notFound("No such video.") }
            return "known"
        }
        router.delete("/api/videos/:id") { _, _ in "deleted" }
        router.get("/api/videos/:id/media/**") { _, _ in "media" }
        return makeServiceApplication(router: router, configuration: ServiceConfiguration(service: .upload))
    }

    @Test("PUT /api/videos (what curl -T sends) is 405 method_not_allowed with Allow: GET, POST; captures and ** match like the router")
    func wrongMethod() async throws {
        try await makeApp().test(.router) { client in
            let put = try await client.execute(uri: "/api/videos", method: .put)
            #expect(put.status == .methodNotAllowed && put.headers[.allow] == "GET, POST")
            let body = try JSONSerialization.jsonObject(with: Data(put.body.readableBytesView)) as? [String: [String: String]]
            #expect(body?["error"]?["code"] == "method_not_allowed")
            #expect(body?["error"]?["message"] == "This path takes GET, POST, not PUT.")

            let patch = try await client.execute(uri: "/api/videos/anything", method: .patch)
            #expect(patch.status == .methodNotAllowed && patch.headers[.allow] == "DELETE, GET")
            let media = try await client.execute(uri: "/api/videos/x/media/hls/720p/seg_00001.m4s", method: .post)
            #expect(media.status == .methodNotAllowed && media.headers[.allow] == "GET")
            #expect(try await client.execute(uri: "/health", method: .post).headers[.allow] == "GET")
        }
    }

    @Test("a path no route has stays 404, and so does a handler's own 404")
    func stillNotFound() async throws {
        try await makeApp().test(.router) { client in
            for (uri, method) in [("/api/nothing", HTTPRequest.Method.put), ("/api/videos/x/other", .get), ("/api/videos/x/media", .get)] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .notFound && response.headers[.allow] == nil, "\(method) \(uri)")
            }
            let unknown = try await client.execute(uri: "/api/videos/unknown", method: .get)
            #expect(unknown.status == .notFound && String(buffer: unknown.body).contains("No such video."))
            #expect(try await client.execute(uri: "/api/videos", method: .post).status == .ok)
        }
    }
}
