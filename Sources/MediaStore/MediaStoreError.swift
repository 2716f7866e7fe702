/// Errors from the MediaStore. Messages are for logs; services map them to their own HTTP errors.
public enum MediaStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection string could not be parsed.
    case invalidURI(String)
    /// A unique index refused the write (MongoDB error 11000).
    case duplicateKey(String)
    /// The server or driver reported an error.
    case server(domain: UInt32, code: UInt32, message: String)
    /// No GridFS file has this id in the bucket.
    case fileNotFound(String)
    /// A GridFS file's chunks are missing or of the wrong size.
    case corruptFile(String)
    /// A byte range outside the file, or empty.
    case invalidRange(String)
    /// A reply could not be decoded.
    case invalidReply(String)
    /// The store was shut down.
    case shutdown

    public var description: String {
        switch self {
        case .invalidURI(let uri): "invalid MongoDB URI: \(uri)"
        case .duplicateKey(let message): "duplicate key: \(message)"
        case .server(let domain, let code, let message): "MongoDB error \(domain).\(code): \(message)"
        case .fileNotFound(let id): "GridFS file not found: \(id)"
        case .corruptFile(let reason): "corrupt GridFS file: \(reason)"
        case .invalidRange(let reason): "invalid range: \(reason)"
        case .invalidReply(let reason): "invalid reply: \(reason)"
        case .shutdown: "MediaStore is shut down"
        }
    }

    /// MongoDB's duplicate-key error codes (11000, and 11001 from old servers).
    static let duplicateKeyCodes: Set<UInt32> = [11000, 11001]
}
