import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import OpenAPITestSupport
import Testing

@testable import UploadService

@Suite("upload-service's openapi.yaml is true to the code")
struct UploadOpenAPITests {
    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/UploadService/openapi.yaml")

    /// "METHOD /path" for every operation in the document.
    static func documentedOperations() throws -> Set<String> {
        try OpenAPITestSupport.documentedOperations(in: documentURL, replacing: ["hls/{path}": "hls/**", "media/{path}": "media/**"])
    }

    @Test("every route of the router is documented, and nothing else is")
    func routesMatch() throws {
        let service = try TestUploadService()
        let router = buildRouter(dependencies: service.dependencies, metricsRegistry: PrometheusCollectorRegistry())
        let routes = Set(router.routes.map { "\($0.method) \($0.path)" })
        let documented = try Self.documentedOperations()
        #expect(routes.subtracting(documented).isEmpty, "undocumented: \(routes.subtracting(documented).sorted())")
        #expect(documented.subtracting(routes).isEmpty, "documented but not routed: \(documented.subtracting(routes).sorted())")
    }

    @Test("the served document is the file, and openapi-spec-validator accepts it")
    func servedAndValid() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/videos/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == (try String(contentsOf: Self.documentURL, encoding: .utf8)))
        }
        let python = try LiveUploadService.environment("CLIPCUT_PYTHON")
        let verdict = try await run(python, [
            "-c", "import sys, yaml; from openapi_spec_validator import validate; validate(yaml.safe_load(open(sys.argv[1]))); print('valid')",
            Self.documentURL.path,
        ])
        #expect(verdict.trimmingCharacters(in: .whitespacesAndNewlines) == "valid")
    }
}
