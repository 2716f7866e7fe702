import Logging

/// How ``RedisClient/consumeGroup(_:group:consumer:options:logger:handle:)`` shares a stream
/// with other consumers of its group, living or dead.
public struct GroupConsumerOptions: Sendable {
    /// Entries read per call.
    public var batch: Int
    /// An entry pending this long on any consumer (a pod that died with a batch read, or was
    /// replaced under a new name) is taken over (`XAUTOCLAIM`).
    public var claimIdle: Duration
    /// An entry delivered more often than this without being acknowledged (it fails every time)
    /// goes to ``deadLetterStream`` with its last error and is acknowledged: one poison entry
    /// does not block the group.
    public var maxDeliveries: Int
    /// Where given-up entries go: their fields, plus `reason`, `entry`, `group`, `deliveries`.
    public var deadLetterStream: String
    /// The longest pause between retries of a failing entry (the pause doubles from 1 s), so
    /// that a short outage of a database uses few deliveries.
    public var longestPause: Duration

    /// Options; defaults: 20 a read, take-over after 60 s, 10 deliveries, pauses up to 30 s.
    public init(
        deadLetterStream: String, batch: Int = 20, claimIdle: Duration = .seconds(60), maxDeliveries: Int = 10,
        longestPause: Duration = .seconds(30)
    ) {
        self.deadLetterStream = deadLetterStream
        self.batch = batch
        self.claimIdle = claimIdle
        self.maxDeliveries = maxDeliveries
        self.longestPause = longestPause
    }
}

extension RedisClient {
    /// Consumes `stream` in consumer group `group` as `consumer` until the task is cancelled.
    ///
    /// - Creates the group (from the stream's start) if needed.
    /// - Reads this consumer's own pending entries first (left by a crash or a failed `handle`),
    ///   then, every half ``GroupConsumerOptions/claimIdle``, takes over entries idle that long on
    ///   any other consumer, then new ones, `batch` at a time, blocking up to 5 s per read.
    /// - `handle` must acknowledge what it finished. When it throws, the rest of the batch is
    ///   left too, and after a pause (doubling up to ``GroupConsumerOptions/longestPause``) the
    ///   pending entries are read again, in order, one at a time until the failing one passes (so
    ///   only its delivery count grows). An entry read again after more than
    ///   ``GroupConsumerOptions/maxDeliveries`` deliveries is dead-lettered with its last error.
    public func consumeGroup(
        _ stream: String, group: String, consumer: String, options: GroupConsumerOptions, logger: Logger,
        handle: @Sendable (RedisStreamEntry) async throws -> Void
    ) async {
        var prepared = false
        var pendingFirst = true
        var claimCursor = "0-0"
        var nextClaim = ContinuousClock.now
        var pause = Duration.seconds(1)
        // After a failure, pending entries are read again one at a time: every read counts as a
        // delivery, and the entries queued behind a failing one must not use up theirs.
        var failing = false
        var lastErrors: [String: String] = [:]  // entry id → why it failed last (for its dead letter)
        while !Task.isCancelled {
            do {
                if !prepared {
                    _ = try await xgroupCreate(stream, group: group, startID: "0")
                    prepared = true
                }
                var entries: [RedisStreamEntry] = []
                var redelivered = true
                if pendingFirst {
                    entries = try await xreadgroup(
                        stream, group: group, consumer: consumer, id: "0", count: failing ? 1 : options.batch, block: nil)
                    if entries.isEmpty { pendingFirst = false }
                } else if ContinuousClock.now >= nextClaim {
                    let claimed = try await xautoclaim(
                        stream, group: group, consumer: consumer, minIdle: options.claimIdle, start: claimCursor, count: options.batch)
                    claimCursor = claimed.nextStart
                    if claimCursor == "0-0" { nextClaim = ContinuousClock.now + max(.seconds(1), options.claimIdle / 2) }
                    entries = claimed.entries
                    if !entries.isEmpty {
                        logger.notice("took over entries of a consumer that stopped", metadata: [
                            "stream": "\(stream)", "group": "\(group)", "entries": "\(entries.count)",
                        ])
                    }
                }
                if entries.isEmpty && !pendingFirst {
                    // Block until new entries come, but no longer than the next take-over scan.
                    let block = min(.seconds(5), max(.milliseconds(100), nextClaim - ContinuousClock.now))
                    entries = try await xreadgroup(stream, group: group, consumer: consumer, id: ">", count: options.batch, block: block)
                    redelivered = false
                }
                for entry in entries {
                    if redelivered, let deliveries = try await xpending(stream, group: group, start: entry.id, end: entry.id, count: 1)
                        .first?.deliveries, deliveries > options.maxDeliveries {
                        try await deadLetter(entry, stream: stream, group: group, deliveries: deliveries, options: options,
                                             reason: lastErrors.removeValue(forKey: entry.id) ?? "delivered \(deliveries) times without being handled")
                        logger.error("entry dead-lettered", metadata: ["stream": "\(stream)", "group": "\(group)", "entry": "\(entry.id)"])
                        continue
                    }
                    do {
                        try await handle(entry)
                        lastErrors.removeValue(forKey: entry.id)
                    } catch {
                        if lastErrors.count > 1000 { lastErrors.removeAll() }
                        lastErrors[entry.id] = String("\(error)".prefix(500))
                        throw error
                    }
                }
                pause = .seconds(1)
                failing = false
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("stream consumer paused", metadata: [
                    "stream": "\(stream)", "group": "\(group)", "error": "\(error)", "pause": "\(pause)",
                ])
                prepared = false
                pendingFirst = true
                failing = true
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, options.longestPause)
            }
        }
    }

    /// Copies a given-up entry to the dead-letter stream with why, then acknowledges it.
    private func deadLetter(
        _ entry: RedisStreamEntry, stream: String, group: String, deliveries: Int, options: GroupConsumerOptions, reason: String
    ) async throws {
        var fields = entry.fields
        fields["reason"] = reason
        fields["entry"] = entry.id
        fields["group"] = group
        fields["deliveries"] = String(deliveries)
        try await xadd(options.deadLetterStream, fields: fields, maxLength: 100_000)
        try await xack(stream, group: group, ids: [entry.id])
    }
}
