import Foundation
import Hummingbird
import HummingbirdTesting
import OpenAPITestSupport
import Prometheus
import Redis
import Testing

@testable import MonitoringService

@Suite("monitoring-service's openapi.yaml is true to the code")
struct MonitoringOpenAPITests {
    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/MonitoringService/openapi.yaml")

    @Test("every route is documented and nothing else; the served document is the file; the validator accepts it")
    func document() async throws {
        try await MonitoringFixture.run(redisDatabase: 12) { fixture in
            let router = buildRouter(store: fixture.store, redis: fixture.redis, hub: fixture.hub, verifier: fixture.verifier, adminCheck: fixture.admins, metricsRegistry: PrometheusCollectorRegistry())
            let routes = Set(router.routes.map { "\($0.method) \($0.path)" })
            let documented = try documentedOperations(in: Self.documentURL)
            #expect(routes == documented, "routed only: \(routes.subtracting(documented).sorted()); documented only: \(documented.subtracting(routes).sorted())")
            try await fixture.application().test(.router) { client in
                let response = try await client.execute(uri: "/api/history/openapi.yaml", method: .get)
                #expect(String(buffer: response.body) == (try String(contentsOf: Self.documentURL, encoding: .utf8)))
            }
        }
        let python = try MonitoringFixture.environment("CLIPCUT_PYTHON")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            "-c", "import sys, yaml; from openapi_spec_validator import validate; validate(yaml.safe_load(open(sys.argv[1])))",
            Self.documentURL.path,
        ]
        try process.run()
        let status = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
        #expect(status == 0)
    }
}
