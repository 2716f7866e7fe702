import ClipCutCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Prometheus
import ServiceSupport
import Synchronization
import Testing

@Suite("Health, readiness and metrics")
struct OperationalRoutesTests {
    func makeApp(
        checks: [any ReadinessCheck] = [], timeout: Duration = .seconds(60),
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) -> some ApplicationProtocol {
        let router = makeServiceRouter(
            context: ClipCutRequestContext.self, metricsRegistry: registry,
            readinessChecks: checks, readinessTimeout: timeout)
        return makeServiceApplication(
            router: router, configuration: ServiceConfiguration(service: .audio, port: 0))
    }

    @Test("/health is 200 {\"status\":\"ok\"}")
    func health() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
        }
    }

    @Test("/ready is 200 when every check passes")
    func readyWhenChecksPass() async throws {
        let checks: [any ReadinessCheck] = [
            ReadinessProbe(name: "redis") {}, ReadinessProbe(name: "mongo") { try await Task.sleep(for: .milliseconds(10)) },
        ]
        try await makeApp(checks: checks).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                let report = try JSONCoding.decode(ReadinessReport.self, from: Data(response.body.readableBytesView))
                #expect(report.status == "ready")
                #expect(report.checks.map(\.name) == ["redis", "mongo"])
                #expect(report.checks.allSatisfy { $0.state == .ok })
            }
        }
    }

    @Test("/ready is 503 listing each check, without the error text")
    func notReadyWhenACheckFails() async throws {
        let checks: [any ReadinessCheck] = [
            ReadinessProbe(name: "redis") {}, ReadinessProbe(name: "postgres") { throw SecretError() },
        ]
        try await makeApp(checks: checks).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = String(buffer: response.body)
                #expect(!body.contains("hunter2"))
                let report = try JSONCoding.decode(ReadinessReport.self, from: Data(response.body.readableBytesView))
                #expect(report.status == "not_ready")
                #expect(report.checks == [.init(name: "redis", state: .ok), .init(name: "postgres", state: .failed)])
            }
        }
    }

    @Test("a check that hangs (even ignoring cancellation) is reported as timed out while it still hangs")
    func slowCheckTimesOut() async throws {
        let hungCheckFinished = Mutex(false)
        // The stuck check stays stuck until the test lets it go after the answer: an ordering, so a
        // loaded machine that answers late cannot see the check finish first.
        let letGo = DispatchSemaphore(value: 0)
        let hanging = ReadinessProbe(name: "stuck") {
            // Blocks a thread without looking at cancellation, like a stuck C call would.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                Thread.detachNewThread {
                    letGo.wait()
                    hungCheckFinished.withLock { $0 = true }
                    continuation.resume()
                }
            }
        }
        defer { letGo.signal() }
        try await makeApp(checks: [hanging], timeout: .milliseconds(200)).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let report = try JSONCoding.decode(ReadinessReport.self, from: Data(response.body.readableBytesView))
                #expect(report.checks == [.init(name: "stuck", state: .timeout)])
            }
            // Answered while the stuck check was still stuck.
            #expect(hungCheckFinished.withLock { $0 } == false)
        }
    }

    @Test("/metrics exposes the request counter after a request")
    func metricsCountRequests() async throws {
        let registry = TestMetrics.registry
        try await makeApp(registry: registry).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/no-such-route", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                let counter = text.split(separator: "\n").first {
                    $0.hasPrefix("hb_requests{") && $0.contains(#"http_route="/health""#)
                        && $0.contains(#"http_response_status_code="200""#)
                }
                #expect(counter != nil, "no hb_requests counter for /health in:\n\(text)")
                #expect(text.contains(#"http_response_status_code="404""#))
            }
        }
    }
}
