import Foundation
import Redis
import Testing

/// Integration tests talk to the Redis server that `scripts/test` starts (`CLIPCUT_REDIS_URL`).
enum TestRedis {
    static func configuration() throws -> RedisConfiguration {
        let url = try #require(
            ProcessInfo.processInfo.environment["CLIPCUT_REDIS_URL"],
            "CLIPCUT_REDIS_URL is not set: run the tests through scripts/test, which starts Redis"
        )
        return try RedisConfiguration(url: url)
    }

    /// A client on the shared test server; the caller shuts it down.
    static func client(poolSize: Int = 4, blockingPoolSize: Int = 2) throws -> RedisClient {
        var configuration = try configuration()
        configuration.poolSize = poolSize
        configuration.blockingPoolSize = blockingPoolSize
        return RedisClient(configuration: configuration)
    }

    /// A key no other test uses.
    static func uniqueKey(_ prefix: String) -> String {
        "test:\(prefix):\(UUID().uuidString)"
    }
}

/// Runs `body` with a client and always shuts the client down.
func withRedis<T>(poolSize: Int = 4, blockingPoolSize: Int = 2, _ body: (RedisClient) async throws -> T) async throws -> T {
    let client = try TestRedis.client(poolSize: poolSize, blockingPoolSize: blockingPoolSize)
    do {
        let result = try await body(client)
        await client.shutdown()
        return result
    } catch {
        await client.shutdown()
        throw error
    }
}

/// Fails instead of hanging when `body` does not finish within `limit` (a liveness guard,
/// generous on purpose: it is not a performance assertion).
func withDeadline<T: Sendable>(_ limit: Duration = .seconds(30), _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let result = first else {
            group.cancelAll()
            throw DeadlineExceeded()
        }
        group.cancelAll()
        return result
    }
}

struct DeadlineExceeded: Error {}

/// A redis-server of the test's own (Debian's binary), for tests that kill and restart it
/// without disturbing the shared server other suites use.
final class OwnRedisServer: @unchecked Sendable {
    let port: Int
    let directory: URL
    private var process: Process?

    init() throws {
        port = try freeTCPPort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path,
            "--save", "", "--appendonly", "no",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// SIGKILL: the server dies without closing connections politely.
    func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }
}

func freeTCPPort() throws -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(socketFD, pointer, length) == 0 && getsockname(socketFD, pointer, &length) == 0
        }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}
