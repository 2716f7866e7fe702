import Foundation

/// "METHOD /path" for every operation of an OpenAPI document, as the router names its routes
/// (`{param}` as written; `replacing` maps documented paths to router paths, e.g. a multi-segment
/// `{path}` to `**`). A line-based reader of the layout our `openapi.yaml` files use.
public func documentedOperations(in document: URL, replacing: [String: String] = [:]) throws -> Set<String> {
    let text = try String(contentsOf: document, encoding: .utf8)
    var operations: Set<String> = []
    var currentPath: String?
    let methods: Set<String> = ["get", "put", "post", "patch", "delete", "head", "options"]
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("  /"), line.hasSuffix(":") {
            var path = String(line.dropFirst(2).dropLast())
            for (documented, routed) in replacing { path = path.replacingOccurrences(of: documented, with: routed) }
            currentPath = path
        } else if line.hasPrefix("components:") {
            currentPath = nil
        } else if let path = currentPath, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"),
                  methods.contains(String(line.trimmingCharacters(in: .whitespaces).dropLast())) {
            operations.insert(line.trimmingCharacters(in: .whitespaces).dropLast().uppercased() + " " + path)
        }
    }
    return operations
}
