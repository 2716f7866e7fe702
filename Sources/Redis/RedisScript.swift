import Synchronization

/// A Lua script run with `EVALSHA`: loaded once (`SCRIPT LOAD`) and then called by its SHA,
/// loaded again when the server no longer knows it (a restart, `SCRIPT FLUSH`).
public final class RedisScript: Sendable {
    /// The Lua source.
    public let source: String
    private let sha = Mutex<String?>(nil)

    /// A script with `source`; nothing is sent until it first runs.
    public init(_ source: String) {
        self.source = source
    }

    var loadedSHA: String? { sha.withLock { $0 } }
    func remember(_ value: String) { sha.withLock { $0 = value } }
}

extension RedisClient {
    /// Runs `script` with `keys` and `arguments` (`EVALSHA`, loading it first if needed).
    public func run(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RedisValue {
        let tail = [String(keys.count)] + keys + arguments
        if let sha = script.loadedSHA {
            do {
                return try await execute(["EVALSHA", sha] + tail)
            } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {
                // The server forgot it: load it again below.
            }
        }
        guard let sha = try await execute(["SCRIPT", "LOAD", script.source]).string else {
            throw RedisError.unexpectedReply(command: "SCRIPT LOAD", reply: "no SHA")
        }
        script.remember(sha)
        return try await execute(["EVALSHA", sha] + tail)
    }
}
