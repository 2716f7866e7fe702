import Foundation
import Yams

/// Why an OpenAPI document could not be read.
public struct OpenAPIDocumentError: Error, CustomStringConvertible {
    public let description: String
}

/// "METHOD /path" for every operation of an OpenAPI document, as the router names its routes
/// (`{param}` as written; `replacing` maps documented paths to router paths, e.g. a multi-segment
/// `{path}` to `**`). The YAML is parsed with Yams, so any layout of the document reads the same.
public func documentedOperations(in document: URL, replacing: [String: String] = [:]) throws -> Set<String> {
    let text = try String(contentsOf: document, encoding: .utf8)
    guard let root = try Yams.load(yaml: text) as? [String: Any], let paths = root["paths"] as? [String: Any] else {
        throw OpenAPIDocumentError(description: "\(document.lastPathComponent) has no `paths` object")
    }
    let methods: Set<String> = ["get", "put", "post", "patch", "delete", "head", "options"]
    var operations: Set<String> = []
    for (documented, item) in paths {
        guard let item = item as? [String: Any] else {
            throw OpenAPIDocumentError(description: "\(document.lastPathComponent): the path item \(documented) is not an object")
        }
        var path = documented
        for (from, routed) in replacing { path = path.replacingOccurrences(of: from, with: routed) }
        for method in item.keys where methods.contains(method) {
            operations.insert(method.uppercased() + " " + path)
        }
    }
    return operations
}
