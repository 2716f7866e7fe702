import Foundation
import ServiceSupport

extension OpenAPIDocument {
    /// This service's `openapi.yaml`, shipped as a resource.
    static let service = OpenAPIDocument(url: Bundle.module.url(forResource: "openapi", withExtension: "yaml"))
}
