import CMongoc

/// What an update did.
public struct MongoUpdateResult: Sendable, Equatable {
    /// Documents the filter matched.
    public var matched: Int
    /// Documents actually changed.
    public var modified: Int
    /// Whether an upsert inserted a new document.
    public var upserted: Bool
}

/// A plain MongoDB collection. Every call runs on the store's threads.
public struct MongoCollection: Sendable {
    let store: MediaStore
    /// The collection's name.
    public let name: String

    private func withCollection<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let name = self.name
        let database = store.databaseName
        return try await store.withClient { client in
            guard let collection = mongoc_client_get_collection(client, database, name) else {
                throw MediaStoreError.server(domain: 0, code: 0, message: "no collection handle")
            }
            defer { mongoc_collection_destroy(collection) }
            return try body(collection)
        }
    }

    /// Inserts one document. A unique index violation throws ``MediaStoreError/duplicateKey(_:)``.
    public func insert(_ document: BSONDocument) async throws {
        try await withCollection { collection in
            try withBSON(document) { bson in
                var error = bson_error_t()
                guard mongoc_collection_insert_one(collection, bson, nil, nil, &error) else {
                    throw MediaStoreError(error)
                }
            }
        }
    }

    /// Inserts documents in order, in one call on the store's threads; stops at the first
    /// failure (a unique index violation throws ``MediaStoreError/duplicateKey(_:)``).
    public func insertMany(_ documents: [BSONDocument]) async throws {
        guard !documents.isEmpty else { return }
        try await withCollection { collection in
            for document in documents {
                try withBSON(document) { bson in
                    var error = bson_error_t()
                    guard mongoc_collection_insert_one(collection, bson, nil, nil, &error) else {
                        throw MediaStoreError(error)
                    }
                }
            }
        }
    }

    /// The distinct values of `key` (a dotted path) among documents matching `filter`.
    public func distinct(_ key: String, filter: BSONDocument = [:]) async throws -> [BSONValue] {
        let reply = try await store.runCommand(["distinct": .string(name), "key": .string(key), "query": .document(filter)])
        guard case .array(let values)? = reply["values"] else { return [] }
        return values
    }

    /// Finds documents matching `filter`, in `sort` order, skipping `skip`, at most `limit`.
    public func find(
        _ filter: BSONDocument = [:], sort: BSONDocument? = nil, skip: Int? = nil, limit: Int? = nil,
        projection: BSONDocument? = nil
    ) async throws -> [BSONDocument] {
        var options: BSONDocument = [:]
        if let sort { options["sort"] = .document(sort) }
        if let skip { options["skip"] = .int64(Int64(skip)) }
        if let limit { options["limit"] = .int64(Int64(limit)) }
        if let projection { options["projection"] = .document(projection) }
        return try await withCollection { [options] collection in
            try Self.find(in: collection, filter: filter, options: options)
        }
    }

    /// Runs a find on a collection handle and drains the cursor. Blocking.
    static func find(in collection: OpaquePointer, filter: BSONDocument, options: BSONDocument) throws -> [BSONDocument] {
        try withBSON(filter) { filterBSON in
            try withBSON(options) { optionsBSON in
                guard let cursor = mongoc_collection_find_with_opts(collection, filterBSON, optionsBSON, nil) else {
                    throw MediaStoreError.server(domain: 0, code: 0, message: "no cursor")
                }
                defer { mongoc_cursor_destroy(cursor) }
                var documents: [BSONDocument] = []
                var current: OpaquePointer?
                while mongoc_cursor_next(cursor, &current), let current {
                    documents.append(try decodeBSON(current))
                }
                var error = bson_error_t()
                if mongoc_cursor_error(cursor, &error) { throw MediaStoreError(error) }
                return documents
            }
        }
    }

    /// The first document matching `filter`, if any.
    public func findOne(_ filter: BSONDocument, sort: BSONDocument? = nil) async throws -> BSONDocument? {
        try await find(filter, sort: sort, limit: 1).first
    }

    /// `updateOne(filter, {$set: fields})`.
    @discardableResult
    public func updateOne(_ filter: BSONDocument, set fields: BSONDocument, upsert: Bool = false) async throws -> MongoUpdateResult {
        try await update(filter, ["$set": .document(fields)], upsert: upsert, many: false)
    }

    /// `updateMany(filter, {$set: fields})`.
    @discardableResult
    public func updateMany(_ filter: BSONDocument, set fields: BSONDocument) async throws -> MongoUpdateResult {
        try await update(filter, ["$set": .document(fields)], upsert: false, many: true)
    }

    /// An update with any update document (`$set`, `$inc`, `$unset`, ...).
    @discardableResult
    public func update(_ filter: BSONDocument, _ update: BSONDocument, upsert: Bool = false, many: Bool = false) async throws -> MongoUpdateResult {
        let options: BSONDocument = upsert ? ["upsert": true] : [:]
        return try await withCollection { collection in
            try withBSON(filter) { filterBSON in
                try withBSON(update) { updateBSON in
                    try withBSON(options) { optionsBSON in
                        try withReplyBSON { reply in
                            var error = bson_error_t()
                            let ok = many
                                ? mongoc_collection_update_many(collection, filterBSON, updateBSON, optionsBSON, reply, &error)
                                : mongoc_collection_update_one(collection, filterBSON, updateBSON, optionsBSON, reply, &error)
                            guard ok else { throw MediaStoreError(error) }
                            let document = try decodeBSON(reply)
                            return MongoUpdateResult(
                                matched: document["matchedCount"]?.int ?? 0,
                                modified: document["modifiedCount"]?.int ?? 0,
                                upserted: document["upsertedId"] != nil
                            )
                        }
                    }
                }
            }
        }
    }

    /// Deletes documents matching `filter` (all of them, or the first); returns how many.
    @discardableResult
    public func delete(_ filter: BSONDocument, many: Bool = true) async throws -> Int {
        try await withCollection { collection in
            try withBSON(filter) { filterBSON in
                try withReplyBSON { reply in
                    var error = bson_error_t()
                    let ok = many
                        ? mongoc_collection_delete_many(collection, filterBSON, nil, reply, &error)
                        : mongoc_collection_delete_one(collection, filterBSON, nil, reply, &error)
                    guard ok else { throw MediaStoreError(error) }
                    return try decodeBSON(reply)["deletedCount"]?.int ?? 0
                }
            }
        }
    }

    /// Counts documents matching `filter`.
    public func count(_ filter: BSONDocument = [:]) async throws -> Int {
        try await withCollection { collection in
            try withBSON(filter) { filterBSON in
                var error = bson_error_t()
                let count = mongoc_collection_count_documents(collection, filterBSON, nil, nil, nil, &error)
                guard count >= 0 else { throw MediaStoreError(error) }
                return Int(count)
            }
        }
    }

    /// Creates an index (a no-op when an identical one exists), e.g.
    /// `createIndex(["owner": 1, "createdAt": -1], name: "owner_created")`.
    public func createIndex(_ keys: BSONDocument, name indexName: String, unique: Bool = false) async throws {
        var index: BSONDocument = ["key": .document(keys), "name": .string(indexName)]
        if unique { index["unique"] = true }
        try await store.runCommand(["createIndexes": .string(name), "indexes": [.document(index)]])
    }

    /// Drops the collection; a missing collection is not an error.
    public func drop() async throws {
        do {
            try await store.runCommand(["drop": .string(name)])
        } catch MediaStoreError.server(_, let code, let message) where code == 26 || message.contains("ns not found") {
            return
        }
    }
}
