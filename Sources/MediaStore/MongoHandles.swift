import CMongoc

/// Calls `mongoc_init()` exactly once per process (a lazily initialised static is thread-safe).
enum MongocRuntime {
    static let initialized: Void = { mongoc_init() }()
}

/// The `mongoc_client_pool_t` behind a ``MediaStore``.
///
/// `@unchecked Sendable`: libmongoc documents `mongoc_client_pool_t` as thread-safe for
/// pop/push; each popped `mongoc_client_t` is used by one thread at a time and pushed back.
final class MongoClientPool: @unchecked Sendable {
    private let pool: OpaquePointer
    private let uri: OpaquePointer
    /// The database named in the URI, or the default.
    let databaseName: String

    init(uri text: String, maxClients: Int, defaultDatabase: String) throws {
        _ = MongocRuntime.initialized
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(text, &error) else {
            throw MediaStoreError.invalidURI(text)
        }
        if let name = mongoc_uri_get_database(uri) {
            databaseName = String(cString: name)
        } else {
            databaseName = defaultDatabase
        }
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            mongoc_uri_destroy(uri)
            throw MediaStoreError.invalidURI(text)
        }
        mongoc_client_pool_set_error_api(pool, 2)
        mongoc_client_pool_max_size(pool, UInt32(max(1, maxClients)))
        mongoc_client_pool_set_appname(pool, "clipcut")
        self.pool = pool
        self.uri = uri
    }

    deinit {
        mongoc_client_pool_destroy(pool)
        mongoc_uri_destroy(uri)
    }

    /// Pops a client without blocking; callers hold a permit so one is always available.
    func pop() throws -> OpaquePointer {
        guard let client = mongoc_client_pool_try_pop(pool) else {
            throw MediaStoreError.server(domain: 0, code: 0, message: "client pool exhausted")
        }
        return client
    }

    /// Returns a client to the pool.
    func push(_ client: OpaquePointer) {
        mongoc_client_pool_push(pool, client)
    }
}

/// Builds a `bson_t` from a document, lends it to `body`, and destroys it.
func withBSON<T>(_ document: BSONDocument, _ body: (OpaquePointer) throws -> T) throws -> T {
    let bytes = document.encoded()
    guard let bson = bytes.withUnsafeBufferPointer({ bson_new_from_data($0.baseAddress, $0.count) }) else {
        throw MediaStoreError.invalidReply("could not build a BSON document")
    }
    defer { bson_destroy(bson) }
    return try body(bson)
}

/// Lends `body` an empty out-parameter `bson_t` for a reply, then destroys it.
func withReplyBSON<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
    guard let reply = cmongoc_bson_alloc() else { throw MediaStoreError.invalidReply("out of memory") }
    defer { cmongoc_bson_free(reply) }
    return try body(reply)
}

/// Copies a `bson_t` owned by libmongoc into a ``BSONDocument``.
func decodeBSON(_ bson: OpaquePointer) throws -> BSONDocument {
    let length = Int(cmongoc_bson_len(bson))
    guard let data = bson_get_data(bson) else { throw MediaStoreError.invalidReply("no data") }
    do {
        return try BSONDocument(bsonBytes: UnsafeRawBufferPointer(start: data, count: length))
    } catch {
        throw MediaStoreError.invalidReply("\(error)")
    }
}

extension MediaStoreError {
    /// Maps a libmongoc error, recognising duplicate keys.
    init(_ error: bson_error_t) {
        var copy = error
        let message = String(cString: cmongoc_error_message(&copy))
        if Self.duplicateKeyCodes.contains(error.code) {
            self = .duplicateKey(message)
        } else {
            self = .server(domain: error.domain, code: error.code, message: message)
        }
    }
}
