import CMongoc
import Primitives
import Logging
import NIOPosix
import ServiceLifecycle

/// MongoDB access for ClipCut: GridFS buckets read in bounded chunk windows, and plain
/// collections. Backed by a `mongoc_client_pool_t`; every libmongoc call runs on threads
/// the store owns, never on an event loop or the cooperative pool.
///
/// Run it in the `ServiceGroup`; ``run()`` waits for graceful shutdown and stops the threads.
public final class MediaStore: Service, Sendable {
    /// Where the store connects and how it sizes itself.
    public struct Configuration: Sendable {
        /// A MongoDB connection string, e.g. `mongodb://127.0.0.1:27017/clipcut`.
        public var uri: String
        /// Database used when the URI names none.
        public var defaultDatabase: String
        /// Threads that run libmongoc calls.
        public var threads: Int
        /// Clients (connections) at most; each call holds one only while it runs on a store thread.
        public var maxClients: Int
        /// Bytes fetched per `fs.chunks` query when reading a file (rounded to whole chunks).
        public var readWindowBytes: Int

        /// Creates a configuration; the defaults suit a single service.
        public init(
            uri: String, defaultDatabase: String = "clipcut", threads: Int = 4,
            maxClients: Int = 64, readWindowBytes: Int = 4 * 1024 * 1024
        ) {
            self.uri = uri
            self.defaultDatabase = defaultDatabase
            self.threads = max(1, threads)
            self.maxClients = max(1, maxClients)
            self.readWindowBytes = max(1, readWindowBytes)
        }
    }

    /// The configuration the store was made with.
    public let configuration: Configuration
    let logger: Logger
    private let pool: MongoClientPool
    let threadPool: NIOThreadPool
    private let permits: AsyncSemaphore

    /// The database all collections and buckets live in.
    public var databaseName: String { pool.databaseName }

    /// Creates the store; connections are made lazily by libmongoc.
    /// - Throws: ``MediaStoreError/invalidURI(_:)``.
    public init(configuration: Configuration, logger: Logger = Logger(label: "clipcut.mediastore")) throws {
        self.configuration = configuration
        self.logger = logger
        self.pool = try MongoClientPool(
            uri: configuration.uri, maxClients: configuration.maxClients, defaultDatabase: configuration.defaultDatabase
        )
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.threads)
        self.threadPool.start()
        self.permits = AsyncSemaphore(permits: configuration.maxClients)
    }

    /// Waits for graceful shutdown, then stops the store's threads.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops the store's threads once running calls finish.
    public func shutdown() async {
        try? await threadPool.shutdownGracefully()
    }

    // MARK: Running libmongoc calls

    /// Runs one blocking call with a client on the store's threads.
    func withClient<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await permits.withPermit {
            try await threadPool.runIfActive { [pool] in
                let client = try pool.pop()
                defer { pool.push(client) }
                return try body(client)
            }
        }
    }

    /// Runs blocking calls with a database handle.
    func withDatabase<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let name = databaseName
        return try await withClient { client in
            guard let database = mongoc_client_get_database(client, name) else {
                throw MediaStoreError.server(domain: 0, code: 0, message: "no database handle")
            }
            defer { mongoc_database_destroy(database) }
            return try body(database)
        }
    }

    // MARK: Commands

    /// Runs a database command (e.g. `["ping": 1]`) and returns its reply.
    @discardableResult
    public func runCommand(_ command: BSONDocument) async throws -> BSONDocument {
        try await withDatabase { database in
            try withBSON(command) { commandBSON in
                try withReplyBSON { reply in
                    var error = bson_error_t()
                    guard mongoc_database_command_simple(database, commandBSON, nil, reply, &error) else {
                        throw MediaStoreError(error)
                    }
                    return try decodeBSON(reply)
                }
            }
        }
    }

    /// Succeeds when the server answers `ping`; use it for readiness.
    public func ping() async throws {
        try await runCommand(["ping": .int32(1)])
    }

    /// A handle on a plain collection.
    public func collection(_ name: String) -> MongoCollection {
        MongoCollection(store: self, name: name)
    }

    /// A handle on a GridFS bucket (`<name>.files` and `<name>.chunks`).
    public func bucket(_ name: String = "fs") -> GridFSBucket {
        GridFSBucket(store: self, name: name)
    }
}
