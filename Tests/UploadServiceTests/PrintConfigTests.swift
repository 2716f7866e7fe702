import Logging
import ServiceSupport
import Testing

@testable import UploadService

/// `upload-service --print-config` lists exactly what its settings and the shared ones read
/// (`scripts/k8s-check` trusts the list).
@Suite("upload-service --print-config")
struct PrintConfigTests {
    @Test("the declared variables are the ones read, no more, no fewer")
    func declaredIsRead() throws {
        let description = UploadServiceSettings.description
        #expect(try description.variablesRead { _ = try UploadServiceSettings(reader: $0, logger: Logger(label: "test")) } == description.variableNames)
    }
}
