import Logging

extension RedisClient {
    /// Consumes `stream` in consumer group `group` as `consumer` until the task is cancelled.
    ///
    /// - Creates the group (from the stream's start) if needed.
    /// - Reads this consumer's own pending entries first (left by a crash or a failed `handle`),
    ///   then new ones, `batch` at a time, blocking up to 5 s per read.
    /// - `handle` must acknowledge what it finished. When it throws, the rest of the batch is
    ///   left too, and after a pause the pending entries are read again, in order.
    public func consumeGroup(
        _ stream: String, group: String, consumer: String, batch: Int = 20, logger: Logger,
        handle: @Sendable (RedisStreamEntry) async throws -> Void
    ) async {
        var prepared = false
        var pendingFirst = true
        while !Task.isCancelled {
            do {
                if !prepared {
                    _ = try await xgroupCreate(stream, group: group, startID: "0")
                    prepared = true
                }
                let entries = try await xreadgroup(
                    stream, group: group, consumer: consumer, id: pendingFirst ? "0" : ">", count: batch,
                    block: pendingFirst ? nil : .seconds(5))
                if pendingFirst && entries.isEmpty { pendingFirst = false }
                for entry in entries { try await handle(entry) }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("stream consumer paused", metadata: ["stream": "\(stream)", "group": "\(group)", "error": "\(error)"])
                prepared = false
                pendingFirst = true
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
