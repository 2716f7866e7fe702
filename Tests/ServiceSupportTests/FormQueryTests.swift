import ClipCutCore
import Hummingbird
import HummingbirdTesting
import Prometheus
import ServiceSupport
import Testing

@Suite("Query strings as forms and URLSearchParams write them")
struct FormQueryTests {
    @Test("`+` is a space and `%2B` a plus, in every parameter; the path is left alone")
    func plusIsSpace() async throws {
        let router = makeServiceRouter(context: ClipCutRequestContext.self, metricsRegistry: PrometheusCollectorRegistry())
        router.get("/echo/:name") { request, context in
            let query = request.uri.queryParameters
            return "\(context.parameters.get("name") ?? "")|\(query.get("q") ?? "")|\(query.get("status") ?? "")"
        }
        let app = makeServiceApplication(router: router, configuration: ServiceConfiguration(service: .monitoring))
        try await app.test(.router) { client in
            for (uri, expected) in [
                ("/echo/a+b?q=Tiny+clip&status=ready", "a+b|Tiny clip|ready"),
                ("/echo/x?q=Tiny%20clip", "x|Tiny clip|"),
                ("/echo/x?q=1%2B1+%3D+2&status=a+b+c", "x|1+1 = 2|a b c"),
                ("/echo/x?q=", "x||"),
            ] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(String(buffer: response.body) == expected, "\(uri)")
            }
        }
    }
}
