import Foundation
import Hummingbird

/// A service's OpenAPI description, shipped as a resource of its executable and served as YAML.
public struct OpenAPIDocument: Sendable {
    /// The document's bytes, if the resource was found.
    public let bytes: [UInt8]?

    /// Reads the document at `url` (a `Bundle.module` resource URL) once.
    public init(url: URL?) {
        bytes = url.flatMap { try? Data(contentsOf: $0) }.map { [UInt8]($0) }
    }

    /// The document as `application/yaml`, or 404 when it is not installed.
    public func response() throws -> Response {
        guard let bytes else { throw APIError.notFound("The OpenAPI document is not installed.") }
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
