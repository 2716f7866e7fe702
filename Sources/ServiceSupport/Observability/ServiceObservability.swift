import ClipCutCore
import Logging
import Metrics
import Prometheus

/// The process-wide logging and metrics set-up, done once from a service's `main`.
public enum ServiceObservability {
    /// Bootstraps swift-log (``bootstrapLogging(format:level:)``) and swift-metrics
    /// (``bootstrapMetrics()``) for `configuration`, and returns the Prometheus registry that
    /// `/metrics` exposes.
    ///
    /// Call it exactly once per process, before creating any `Logger` or metric: both systems
    /// crash when bootstrapped twice.
    public static func bootstrap(_ configuration: ServiceConfiguration) -> PrometheusCollectorRegistry {
        bootstrapLogging(format: configuration.logFormat, level: configuration.logLevel)
        return bootstrapMetrics()
    }

    /// Makes every `Logger` write `format` lines at `level` and above to standard output.
    public static func bootstrapLogging(format: LogFormat, level: Logger.Level) {
        switch format {
        case .json:
            LoggingSystem.bootstrap { label in
                JSONLogHandler(label: label, logLevel: level, metadataProvider: nil)
            }
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }

    /// Creates a registry, bootstraps swift-metrics with a ``makeMetricsFactory(registry:)``
    /// factory over it, and returns the registry.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(makeMetricsFactory(registry: registry))
        return registry
    }

    /// A swift-metrics factory recording into `registry`, with metric and label names made valid
    /// for Prometheus (Hummingbird's `http.server.request.duration` becomes
    /// `http_server_request_duration`).
    public static func makeMetricsFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Value histograms (recorders) in ClipCut measure ratios and sizes that start well below
        // 1 (a real-time factor of 0.1): the library's default buckets start at 5.
        factory.defaultValueHistogramBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000]
        factory.nameAndLabelSanitizer = { name, labels in
            (
                prometheusName(name, allowColon: true),
                labels.map { (prometheusName($0.0, allowColon: false), $0.1) }
            )
        }
        return factory
    }

    /// `name` with every character Prometheus forbids replaced by `_`.
    static func prometheusName(_ name: String, allowColon: Bool) -> String {
        var result = ""
        for scalar in name.unicodeScalars {
            let isLetter = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
            let isDigit = scalar >= "0" && scalar <= "9"
            if isLetter || (isDigit && !result.isEmpty) || (allowColon && scalar == ":") {
                result.unicodeScalars.append(scalar)
            } else {
                if isDigit { result.append("_") }
                result.unicodeScalars.append(isDigit ? scalar : "_")
            }
        }
        return result.isEmpty ? "_" : result
    }
}
