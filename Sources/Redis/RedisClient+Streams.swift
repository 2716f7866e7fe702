import Primitives
/// One entry of a Redis stream.
public struct RedisStreamEntry: Sendable, Equatable {
    /// The entry id, `<milliseconds>-<sequence>`.
    public var id: String
    /// The entry's field/value pairs.
    public var fields: [String: String]

    /// Creates an entry.
    public init(id: String, fields: [String: String]) {
        self.id = id
        self.fields = fields
    }

    /// Parses `[id, [field, value, ...]]`; `nil` for a malformed or deleted entry.
    init?(_ reply: RedisValue) {
        guard let parts = reply.array, parts.count == 2, let id = parts[0].string,
              let flat = parts[1].array, flat.count % 2 == 0 else { return nil }
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: flat.count, by: 2) {
            guard let key = flat[index].string, let value = flat[index + 1].string else { return nil }
            fields[key] = value
        }
        self.init(id: id, fields: fields)
    }

    static func list(_ reply: RedisValue) -> [RedisStreamEntry] {
        (reply.array ?? []).compactMap(RedisStreamEntry.init)
    }
}

/// What `XAUTOCLAIM` returns.
public struct RedisAutoClaimResult: Sendable, Equatable {
    /// The id to pass as `start` for the next call; `0-0` when the scan is complete.
    public var nextStart: String
    /// Entries now owned by the claiming consumer.
    public var entries: [RedisStreamEntry]
    /// Pending ids whose entries were deleted from the stream (removed from the PEL).
    public var deletedIDs: [String]
}

/// The `XPENDING stream group` summary.
public struct RedisPendingSummary: Sendable, Equatable {
    /// Messages delivered and not acknowledged.
    public var count: Int
    /// Smallest pending id, if any.
    public var lowestID: String?
    /// Largest pending id, if any.
    public var highestID: String?
    /// Pending messages per consumer.
    public var consumers: [String: Int]
}

/// One line of the extended `XPENDING` form.
public struct RedisPendingEntry: Sendable, Equatable {
    /// The entry id.
    public var id: String
    /// The consumer that holds it.
    public var consumer: String
    /// Time since it was last delivered.
    public var idle: Duration
    /// How many times it was delivered.
    public var deliveries: Int
}

extension RedisClient {
    /// `XADD stream [MAXLEN ~ n] id field value ...`: appends an entry, returns its id.
    /// With `maxLength` the stream is trimmed approximately (`~`), which is cheap.
    @discardableResult
    public func xadd(_ stream: String, fields: [String: String], maxLength: Int? = nil, id: String = "*") async throws -> String {
        var arguments = ["XADD", stream]
        if let maxLength { arguments += ["MAXLEN", "~", String(maxLength)] }
        arguments.append(id)
        for key in fields.keys.sorted() {
            arguments += [key, fields[key] ?? ""]
        }
        guard let entryID = try await execute(arguments).string else {
            throw RedisError.unexpectedReply(command: "XADD", reply: "no id")
        }
        return entryID
    }

    /// `XLEN stream`.
    public func xlen(_ stream: String) async throws -> Int {
        Int(try await execute(["XLEN", stream]).integer ?? 0)
    }

    /// `XDEL stream id...`: how many entries were removed.
    @discardableResult
    public func xdel(_ stream: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return Int(try await execute(["XDEL", stream] + ids).integer ?? 0)
    }

    /// `XGROUP CREATE stream group start MKSTREAM`. Returns `false` when the group already
    /// exists (so services can call it on every start).
    @discardableResult
    public func xgroupCreate(_ stream: String, group: String, startID: String = "$", makeStream: Bool = true) async throws -> Bool {
        var arguments = ["XGROUP", "CREATE", stream, group, startID]
        if makeStream { arguments.append("MKSTREAM") }
        do {
            _ = try await execute(arguments)
            return true
        } catch RedisError.server(let message) where message.hasPrefix("BUSYGROUP") {
            return false
        }
    }

    /// `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] STREAMS stream id`.
    ///
    /// With `block`, the call waits on a connection reserved for blocking reads (never one of
    /// the command pool's) until an entry arrives or the time is up; cancelling the task ends
    /// the wait at once. `id` `>` asks for new entries, `0` re-reads this consumer's pending ones.
    public func xreadgroup(
        _ stream: String, group: String, consumer: String, id: String = ">",
        count: Int = 1, block: Duration? = nil
    ) async throws -> [RedisStreamEntry] {
        var arguments = ["XREADGROUP", "GROUP", group, consumer, "COUNT", String(max(1, count))]
        if let block { arguments += ["BLOCK", String(max(1, block.clippedMilliseconds))] }
        arguments += ["STREAMS", stream, id]
        let reply = block == nil ? try await execute(arguments) : try await executeBlocking(arguments)
        // [[stream, [entries...]]] or null on timeout.
        guard let streams = reply.array else { return [] }
        return streams.flatMap { streamReply -> [RedisStreamEntry] in
            guard let parts = streamReply.array, parts.count == 2 else { return [] }
            return RedisStreamEntry.list(parts[1])
        }
    }

    /// `XREAD [COUNT n] [BLOCK ms] STREAMS stream id`: entries after `id` (`$`: only those
    /// added from now on), outside any consumer group — for a reader that wants every entry,
    /// as each replica of a cache does. Blocking reads wait as ``xreadgroup(_:group:consumer:id:count:block:)``'s.
    public func xread(_ stream: String, after id: String, count: Int = 100, block: Duration? = nil) async throws -> [RedisStreamEntry] {
        var arguments = ["XREAD", "COUNT", String(max(1, count))]
        if let block { arguments += ["BLOCK", String(max(1, block.clippedMilliseconds))] }
        arguments += ["STREAMS", stream, id]
        let reply = block == nil ? try await execute(arguments) : try await executeBlocking(arguments)
        guard let streams = reply.array else { return [] }
        return streams.flatMap { streamReply -> [RedisStreamEntry] in
            guard let parts = streamReply.array, parts.count == 2 else { return [] }
            return RedisStreamEntry.list(parts[1])
        }
    }

    /// `XACK stream group id...`: how many were acknowledged.
    @discardableResult
    public func xack(_ stream: String, group: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return Int(try await execute(["XACK", stream, group] + ids).integer ?? 0)
    }

    /// `XAUTOCLAIM stream group consumer min-idle start COUNT n`: takes over entries that
    /// another consumer read and left unacknowledged for at least `minIdle`.
    public func xautoclaim(
        _ stream: String, group: String, consumer: String, minIdle: Duration,
        start: String = "0-0", count: Int = 10
    ) async throws -> RedisAutoClaimResult {
        let reply = try await execute([
            "XAUTOCLAIM", stream, group, consumer, String(minIdle.clippedMilliseconds), start, "COUNT", String(max(1, count)),
        ])
        guard let parts = reply.array, parts.count >= 2, let next = parts[0].string else {
            throw RedisError.unexpectedReply(command: "XAUTOCLAIM", reply: "\(reply)")
        }
        let deleted = parts.count > 2 ? (parts[2].array ?? []).compactMap(\.string) : []
        return RedisAutoClaimResult(nextStart: next, entries: RedisStreamEntry.list(parts[1]), deletedIDs: deleted)
    }

    /// `XPENDING stream group`: the summary form.
    public func xpending(_ stream: String, group: String) async throws -> RedisPendingSummary {
        let reply = try await execute(["XPENDING", stream, group])
        guard let parts = reply.array, parts.count == 4 else {
            throw RedisError.unexpectedReply(command: "XPENDING", reply: "\(reply)")
        }
        var consumers: [String: Int] = [:]
        for consumer in parts[3].array ?? [] {
            guard let pair = consumer.array, pair.count == 2, let name = pair[0].string else { continue }
            consumers[name] = Int(pair[1].integer ?? 0)
        }
        return RedisPendingSummary(
            count: Int(parts[0].integer ?? 0), lowestID: parts[1].string, highestID: parts[2].string, consumers: consumers
        )
    }

    /// `XPENDING stream group [IDLE ms] start end count [consumer]`: the extended form.
    public func xpending(
        _ stream: String, group: String, start: String = "-", end: String = "+", count: Int = 100,
        consumer: String? = nil, minIdle: Duration? = nil
    ) async throws -> [RedisPendingEntry] {
        var arguments = ["XPENDING", stream, group]
        if let minIdle { arguments += ["IDLE", String(minIdle.clippedMilliseconds)] }
        arguments += [start, end, String(max(1, count))]
        if let consumer { arguments.append(consumer) }
        return (try await execute(arguments).array ?? []).compactMap { line in
            guard let parts = line.array, parts.count == 4, let id = parts[0].string, let owner = parts[1].string,
                  let idle = parts[2].integer, let deliveries = parts[3].integer else { return nil }
            return RedisPendingEntry(id: id, consumer: owner, idle: .milliseconds(idle), deliveries: Int(deliveries))
        }
    }

    /// `XRANGE stream start end [COUNT n]`, oldest first. `start` may be exclusive: `(id`.
    public func xrange(_ stream: String, start: String = "-", end: String = "+", count: Int? = nil) async throws -> [RedisStreamEntry] {
        var arguments = ["XRANGE", stream, start, end]
        if let count { arguments += ["COUNT", String(max(1, count))] }
        return RedisStreamEntry.list(try await execute(arguments))
    }

    /// `XREVRANGE stream end start [COUNT n]`, newest first.
    public func xrevrange(_ stream: String, end: String = "+", start: String = "-", count: Int? = nil) async throws -> [RedisStreamEntry] {
        var arguments = ["XREVRANGE", stream, end, start]
        if let count { arguments += ["COUNT", String(max(1, count))] }
        return RedisStreamEntry.list(try await execute(arguments))
    }
}
