/// How a ``RedisClient`` reaches its server and sizes its pools.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or IP address of the server.
    public var host: String
    /// TCP port of the server.
    public var port: Int
    /// Password for `AUTH`, if the server needs one.
    public var password: String?
    /// Logical database selected on every new connection.
    public var database: Int
    /// Connections (and threads) for ordinary commands.
    public var poolSize: Int
    /// Connections (and threads) reserved for blocking reads (`XREADGROUP BLOCK`), so a
    /// consumer waiting for work never starves ordinary commands.
    public var blockingPoolSize: Int
    /// Timeout for establishing one TCP connection.
    public var connectTimeout: Duration
    /// Socket timeout for a non-blocking command's reply.
    public var commandTimeout: Duration
    /// How long a command keeps reconnecting (with exponential backoff) before it fails.
    public var reconnectWindow: Duration
    /// First backoff delay between reconnect attempts; doubles up to ``maximumBackoff``.
    public var initialBackoff: Duration
    /// Upper bound of the reconnect backoff.
    public var maximumBackoff: Duration

    /// Creates a configuration; the defaults suit a local server.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        password: String? = nil,
        database: Int = 0,
        poolSize: Int = 4,
        blockingPoolSize: Int = 2,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(5),
        reconnectWindow: Duration = .seconds(10),
        initialBackoff: Duration = .milliseconds(50),
        maximumBackoff: Duration = .seconds(1)
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
        self.poolSize = max(1, poolSize)
        self.blockingPoolSize = max(1, blockingPoolSize)
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectWindow = reconnectWindow
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    /// Parses `redis://[:password@]host[:port][/db]`.
    /// - Throws: ``RedisError/invalidURL(_:)`` when the URL is not of that shape.
    public init(url: String) throws {
        guard url.hasPrefix("redis://") else { throw RedisError.invalidURL(url) }
        var rest = Substring(url.dropFirst("redis://".count))
        self.init()
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            let password = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).last
            if let password, !password.isEmpty { self.password = String(password) }
            rest = rest[rest.index(after: at)...]
        }
        var hostPort = rest
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let number = Int(db), number >= 0 else { throw RedisError.invalidURL(url) }
                self.database = number
            }
        }
        if let colon = hostPort.lastIndex(of: ":") {
            guard let port = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(port) else {
                throw RedisError.invalidURL(url)
            }
            self.port = port
            hostPort = hostPort[..<colon]
        }
        guard !hostPort.isEmpty else { throw RedisError.invalidURL(url) }
        self.host = String(hostPort)
    }
}

