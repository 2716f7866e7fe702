import CMongoc

/// One open GridFS upload stream and the handles it depends on.
///
/// `@unchecked Sendable`: it is created, written, finished or aborted by one task, one call
/// after another, each on a store thread while that task holds the client lease; libmongoc
/// permits a client and its streams to move between threads when not used concurrently.
final class GridFSUploadSession: @unchecked Sendable {
    private let database: OpaquePointer
    private let bucket: OpaquePointer
    private var stream: UnsafeMutablePointer<mongoc_stream_t>?

    /// Opens an upload stream for `id` in bucket `bucketName`. Blocking.
    init(client: OpaquePointer, databaseName: String, bucketName: String, id: ObjectID,
         filename: String, metadata: BSONDocument?, chunkSize: Int) throws {
        guard let database = mongoc_client_get_database(client, databaseName) else {
            throw MediaStoreError.server(domain: 0, code: 0, message: "no database handle")
        }
        var error = bson_error_t()
        let bucketOptions: BSONDocument = ["bucketName": .string(bucketName)]
        guard let bucket = try withBSON(bucketOptions, { mongoc_gridfs_bucket_new(database, $0, nil, &error) }) else {
            mongoc_database_destroy(database)
            throw MediaStoreError(error)
        }
        var uploadOptions: BSONDocument = ["chunkSizeBytes": .int32(Int32(clamping: chunkSize))]
        if let metadata { uploadOptions["metadata"] = .document(metadata) }
        var fileID = bson_value_t()
        id.bytes.withUnsafeBufferPointer { cmongoc_value_object_id(&fileID, $0.baseAddress) }
        let stream = try withBSON(uploadOptions) { options in
            mongoc_gridfs_bucket_open_upload_stream_with_id(bucket, &fileID, filename, options, &error)
        }
        guard let stream else {
            mongoc_gridfs_bucket_destroy(bucket)
            mongoc_database_destroy(database)
            throw MediaStoreError(error)
        }
        self.database = database
        self.bucket = bucket
        self.stream = stream
    }

    deinit {
        // Reached only if neither finish() nor abort() ran: treat as an abort.
        abort()
        mongoc_gridfs_bucket_destroy(bucket)
        mongoc_database_destroy(database)
    }

    /// Appends bytes; whole chunks are inserted as they fill. Blocking.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let stream else { throw MediaStoreError.shutdown }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let written = mongoc_stream_write(stream, UnsafeMutableRawPointer(mutating: base), bytes.count, 0)
        if written != bytes.count {
            throw streamError(stream)
        }
    }

    /// Flushes the last chunk and writes the files document. Blocking.
    func finish() throws {
        guard let stream else { throw MediaStoreError.shutdown }
        let closed = mongoc_stream_close(stream)
        if closed != 0 {
            let error = streamError(stream)
            abort()
            throw error
        }
        mongoc_stream_destroy(stream)
        self.stream = nil
    }

    /// Deletes every chunk written so far; no files document is left. Blocking; idempotent.
    func abort() {
        guard let stream else { return }
        _ = mongoc_gridfs_bucket_abort_upload(stream)
        mongoc_stream_destroy(stream)
        self.stream = nil
    }

    private func streamError(_ stream: UnsafeMutablePointer<mongoc_stream_t>) -> MediaStoreError {
        var error = bson_error_t()
        if mongoc_gridfs_bucket_stream_error(stream, &error) {
            return MediaStoreError(error)
        }
        return .server(domain: 0, code: 0, message: "GridFS write failed")
    }
}
