import ClipCutCore
import Foundation
import Metrics
import Prometheus
import ServiceSupport
import Synchronization

/// Collects log lines written by a handler.
final class LineCollector: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { storage.withLock { $0 } }

    @Sendable func append(_ line: String) {
        storage.withLock { $0.append(line) }
    }
}

/// The test process's metrics registry: swift-metrics can be bootstrapped only once per process,
/// so every test that looks at `/metrics` shares this one.
enum TestMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(ServiceObservability.makeMetricsFactory(registry: registry))
        return registry
    }()
}

/// A clock the tests move by hand.
final class ManualClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var now: ContinuousClock.Instant { instant.withLock { $0 } }

    func advance(by duration: Duration) {
        instant.withLock { $0 = $0.advanced(by: duration) }
    }
}

/// An error whose text must never reach a client.
struct SecretError: Error, CustomStringConvertible {
    var description: String { "password=hunter2 at db.internal:5432" }
}
