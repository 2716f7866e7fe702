import ClipCutCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import ServiceSupport
import Testing

/// One JSON response path: a handler that returns an `Encodable` value and one that calls
/// `jsonResponse` write the same bytes and headers (JSONCoding's encoder: sorted keys, ISO dates).
@Suite("JSON responses")
struct JSONResponseTests {
    struct Sample: Codable, Sendable, ResponseEncodable {
        var name: String
        var when: Date
        var count: Int
    }

    @Test("a returned value and jsonResponse give the same body and content type")
    func onePath() async throws {
        let sample = Sample(name: "clip", when: Date(timeIntervalSince1970: 1_700_000_000), count: 3)
        let router = makeServiceRouter(context: ClipCutRequestContext.self, metricsRegistry: PrometheusCollectorRegistry())
        router.get("returned") { _, _ in sample }
        router.get("helper") { _, _ in jsonResponse(sample) }
        let app = makeServiceApplication(router: router, configuration: ServiceConfiguration(service: .audio, port: 0))
        try await app.test(.router) { client in
            let returned = try await client.execute(uri: "/returned", method: .get)
            let helper = try await client.execute(uri: "/helper", method: .get)
            #expect(returned.status == .ok && helper.status == .ok)
            #expect(String(buffer: returned.body) == String(buffer: helper.body))
            #expect(returned.headers[.contentType] == "application/json; charset=utf-8")
            #expect(returned.headers[.contentType] == helper.headers[.contentType])
            #expect(String(buffer: helper.body).contains("2023-11-14T22:13:20"), "JSONCoding's ISO 8601 dates")
        }
    }
}
