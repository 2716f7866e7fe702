import Primitives
import CHiredis
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One hiredis `redisContext`, owned exclusively.
///
/// Every method blocks on the socket, so callers run them on the client's own
/// `NIOThreadPool`, never on an event loop or the cooperative pool.
///
/// `@unchecked Sendable`: a `redisContext` is not thread-safe, and this class does not
/// make it so. The pool hands a connection to exactly one task at a time, so the context
/// is only ever touched by one thread at a time; the single exception, ``interrupt()``,
/// only calls `shutdown(2)` on the socket under ``contextLock``, which also guards the
/// free in ``close()``.
final class RedisConnection: @unchecked Sendable {
    private var context: UnsafeMutablePointer<redisContext>?
    private let contextLock = Mutex(())
    /// Set once an I/O or protocol error has left the context unusable.
    private(set) var isBroken = false
    /// Set when the connection broke because the peer had closed it (EOF, reset, broken
    /// pipe): a command sent on it cannot have run, so it is safe to retry elsewhere.
    private(set) var wasClosedByPeer = false

    /// hiredis writes with write(2): on a socket the server has closed that raises SIGPIPE,
    /// which would kill the process. Ignored once per process, before the first connection.
    private static let sigpipeIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Connects, authenticates and selects the database. Blocking.
    init(configuration: RedisConfiguration, readTimeout: Duration?) throws {
        _ = Self.sigpipeIgnored
        guard let context = chiredis_connect(
            configuration.host, Int32(configuration.port), configuration.connectTimeout.clippedMilliseconds
        ) else {
            throw RedisError.connectionFailed("out of memory allocating a redis context")
        }
        if context.pointee.err != 0 {
            let message = String(cString: chiredis_errstr(context))
            redisFree(context)
            throw RedisError.connectionFailed(message)
        }
        self.context = context
        // A zero timeout means "block forever" to hiredis: used by subscribers and blocking reads.
        _ = chiredis_set_timeout(context, readTimeout?.clippedMilliseconds ?? 0)
        if let password = configuration.password {
            try expectOK(command(["AUTH", password].map { Array($0.utf8) }))
        }
        if configuration.database != 0 {
            try expectOK(command(["SELECT", String(configuration.database)].map { Array($0.utf8) }))
        }
    }

    deinit {
        close()
    }

    private func expectOK(_ reply: RedisValue) throws {
        if case .error(let message) = reply {
            close()
            throw RedisError.connectionFailed(message)
        }
    }

    /// Sends one command and returns its reply. Error replies come back as ``RedisValue/error(_:)``;
    /// a broken connection throws ``RedisError/connectionLost(_:)`` and marks it broken.
    func command(_ arguments: [[UInt8]]) throws -> RedisValue {
        guard let context, !isBroken else { throw RedisError.connectionLost("connection closed") }
        let reply = withArgumentVector(arguments) { argc, argv, lengths in
            chiredis_command_argv(context, argc, argv, lengths)
        }
        return try consume(reply, context: context)
    }

    /// Sends a command without waiting for its reply (pub/sub subscribe).
    func append(_ arguments: [[UInt8]]) throws {
        guard let context, !isBroken else { throw RedisError.connectionLost("connection closed") }
        let status = withArgumentVector(arguments) { argc, argv, lengths in
            redisAppendCommandArgv(context, argc, argv, lengths)
        }
        if status != REDIS_OK { throw markBroken(context) }
    }

    /// Reads the next reply from the socket, blocking until one arrives.
    func nextReply() throws -> RedisValue {
        guard let context, !isBroken else { throw RedisError.connectionLost("connection closed") }
        var reply: UnsafeMutablePointer<redisReply>?
        let status = chiredis_get_reply(context, &reply)
        if status != REDIS_OK {
            if let reply { freeReplyObject(reply) }
            throw markBroken(context)
        }
        return try consume(reply, context: context)
    }

    /// Wakes a thread blocked on this connection's socket; the connection is broken afterwards.
    /// Safe to call from any thread.
    func interrupt() {
        contextLock.withLock { _ in
            if let context { chiredis_interrupt(context) }
        }
    }

    /// Frees the context. Idempotent.
    func close() {
        contextLock.withLock { _ in
            if let context {
                redisFree(context)
                self.context = nil
            }
        }
        isBroken = true
    }

    private func consume(_ reply: UnsafeMutablePointer<redisReply>?, context: UnsafeMutablePointer<redisContext>) throws -> RedisValue {
        guard let reply else { throw markBroken(context) }
        defer { freeReplyObject(reply) }
        return Self.convert(reply)
    }

    private func markBroken(_ context: UnsafeMutablePointer<redisContext>) -> RedisError {
        isBroken = true
        let code = errno
        wasClosedByPeer = context.pointee.err == REDIS_ERR_EOF
            || (context.pointee.err == REDIS_ERR_IO && (code == ECONNRESET || code == EPIPE))
        let message = context.pointee.err != 0 ? String(cString: chiredis_errstr(context)) : "no reply"
        return .connectionLost(message)
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(value.str, value.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = chiredis_reply_element(reply, index) {
                    elements.append(convert(element))
                } else {
                    elements.append(.null)
                }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: count) {
            Array(UnsafeBufferPointer(start: $0, count: count))
        }
    }

    /// Lays the arguments out in one buffer and calls `body` with hiredis' argc/argv/argvlen.
    private func withArgumentVector<T>(
        _ arguments: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T
    ) -> T {
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(0) { $0 + $1.count } + 1)
        var offsets: [Int] = []
        var lengths: [Int] = []
        for argument in arguments {
            offsets.append(storage.count)
            lengths.append(argument.count)
            storage.append(contentsOf: argument)
        }
        storage.append(0)  // never empty, so baseAddress is non-nil
        return storage.withUnsafeBytes { raw in
            let base = raw.baseAddress.unsafelyUnwrapped
            var pointers: [UnsafePointer<CChar>?] = offsets.map {
                (base + $0).assumingMemoryBound(to: CChar.self)
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    body(Int32(arguments.count), argv.baseAddress.unsafelyUnwrapped, argvlen.baseAddress.unsafelyUnwrapped)
                }
            }
        }
    }
}
