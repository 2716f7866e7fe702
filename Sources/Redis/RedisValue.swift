/// A reply from Redis, converted from hiredis' `redisReply` tree.
public enum RedisValue: Sendable, Equatable {
    /// A nil bulk string or nil array (a missing key, a timed-out blocking read).
    case null
    /// A simple status reply such as `OK`.
    case status(String)
    /// An error reply. ``RedisClient`` throws ``RedisError/server(_:)`` for a top-level one.
    case error(String)
    /// An integer reply.
    case integer(Int64)
    /// A bulk string: arbitrary bytes.
    case bulk([UInt8])
    /// A multi-bulk reply.
    case array([RedisValue])

    /// The reply as UTF-8 text, for bulk strings and status replies.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// The raw bytes of a bulk string.
    public var bytes: [UInt8]? {
        if case .bulk(let bytes) = self { return bytes }
        return nil
    }

    /// The integer value, also parsed from a bulk string holding digits.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The elements of an array reply.
    public var array: [RedisValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Whether this is a nil reply.
    public var isNull: Bool { self == .null }
}

/// Errors the Redis client throws. Messages are for logs; services map them to their own HTTP errors.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL given to ``RedisConfiguration/init(url:)`` could not be parsed.
    case invalidURL(String)
    /// No connection could be made within the reconnect window.
    case connectionFailed(String)
    /// The connection broke while a command was in flight; it may or may not have run.
    case connectionLost(String)
    /// Redis answered with an error reply (e.g. `WRONGTYPE ...`, `BUSYGROUP ...`).
    case server(String)
    /// The reply did not have the shape the command promises.
    case unexpectedReply(command: String, reply: String)
    /// The client was shut down.
    case shutdown

    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid Redis URL: \(url)"
        case .connectionFailed(let reason): "cannot connect to Redis: \(reason)"
        case .connectionLost(let reason): "Redis connection lost: \(reason)"
        case .server(let message): "Redis error: \(message)"
        case .unexpectedReply(let command, let reply): "unexpected reply to \(command): \(reply)"
        case .shutdown: "Redis client is shut down"
        }
    }
}
