import ServiceSupport
import Testing

@testable import MonitoringService

/// `monitoring-service --print-config` lists exactly what its settings and the shared ones read
/// (`scripts/k8s-check` trusts the list).
@Suite("monitoring-service --print-config")
struct PrintConfigTests {
    @Test("the declared variables are the ones read, no more, no fewer")
    func declaredIsRead() throws {
        let description = MonitoringSettings.description
        #expect(try description.variablesRead { _ = try MonitoringSettings(reader: $0) } == description.variableNames)
    }
}
