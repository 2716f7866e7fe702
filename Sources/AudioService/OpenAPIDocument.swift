import Foundation
import Hummingbird
import ServiceSupport

/// audio-service's OpenAPI description (`openapi.yaml`, a resource), at `GET /v1/openapi.yaml`.
enum OpenAPIDocument {
    static let bytes: [UInt8]? = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
        .flatMap { try? Data(contentsOf: $0) }
        .map { [UInt8]($0) }

    static func response() throws -> Response {
        guard let bytes else { throw APIError.notFound("The OpenAPI document is not installed.") }
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
