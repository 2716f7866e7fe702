import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import OpenAPITestSupport
import Testing

@testable import UserService

@Suite("openapi.yaml is true to the code")
struct OpenAPITests {
    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/UserService/openapi.yaml")

    /// "METHOD /path" for every operation in the document.
    static func documentedOperations() throws -> Set<String> {
        try OpenAPITestSupport.documentedOperations(in: documentURL)
    }

    @Test("every route of the router is documented, and nothing else is")
    func routesMatch() async throws {
        let service = try await TestUserService()
        let router = buildRouter(dependencies: service.dependencies, metricsRegistry: PrometheusCollectorRegistry())
        let operational: Set<String> = ["GET /health", "GET /ready", "GET /metrics"]
        let routes = Set(router.routes.map { "\($0.method) \($0.path)" }).subtracting(operational)
        #expect(routes == (try Self.documentedOperations()))
        #expect(routes.count == 8)
    }

    @Test("the served document is the file, and an independent validator accepts it")
    func servedAndValid() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/users/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == (try String(contentsOf: Self.documentURL, encoding: .utf8)))
        }
        let verdict = try await runPython(["validate_openapi.py", Self.documentURL.path])
        #expect(verdict == "valid")
    }
}
