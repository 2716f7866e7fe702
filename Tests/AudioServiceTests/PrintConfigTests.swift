import ServiceSupport
import Testing

@testable import AudioService

/// `audio-service --print-config` lists exactly what its settings and the shared ones read
/// (`scripts/k8s-check` trusts the list).
@Suite("audio-service --print-config")
struct PrintConfigTests {
    @Test("the declared variables are the ones read, no more, no fewer")
    func declaredIsRead() throws {
        let description = AudioServiceSettings.description
        #expect(try description.variablesRead { _ = try AudioServiceSettings(reader: $0) } == description.variableNames)
    }
}
