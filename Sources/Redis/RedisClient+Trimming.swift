import Foundation

/// One consumer group of a stream, as `XINFO GROUPS` reports it.
public struct RedisGroupInfo: Sendable, Equatable {
    public var name: String
    /// Entries delivered to the group's consumers and not yet acknowledged.
    public var pending: Int
    /// The last entry id handed to a consumer of the group.
    public var lastDeliveredID: String
    /// Entries not yet delivered to the group (Redis 7: `lag`), if Redis could tell.
    public var lag: Int?
}

extension RedisClient {
    /// The stream's consumer groups; empty when the stream does not exist.
    public func xinfoGroups(_ stream: String) async throws -> [RedisGroupInfo] {
        let reply: RedisValue
        do {
            reply = try await execute(["XINFO", "GROUPS", stream])
        } catch RedisError.server(let message) where message.contains("no such key") {
            return []
        }
        return (reply.array ?? []).compactMap { group in
            let items = group.array ?? []
            var fields: [String: RedisValue] = [:]
            for index in stride(from: 0, to: items.count - 1, by: 2) {
                if let key = items[index].string { fields[key] = items[index + 1] }
            }
            guard let name = fields["name"]?.string else { return nil }
            return RedisGroupInfo(
                name: name, pending: Int(fields["pending"]?.integer ?? 0), lastDeliveredID: fields["last-delivered-id"]?.string ?? "0-0",
                lag: fields["lag"]?.integer.map { Int($0) })
        }
    }

    /// Removes the entries every consumer group of `stream` has acknowledged, and nothing else:
    /// `XTRIM MINID` up to the slowest group's position (its oldest pending entry, or what it
    /// was last handed when nothing is pending). Entries no group has read yet are never
    /// trimmed; a stream without groups is left alone. Returns how many entries went.
    ///
    /// Entries younger than `keeping` stay whatever the groups did: a publisher may still be
    /// checking that they survived (see upload-service's outbox).
    @discardableResult
    public func trimAcknowledged(_ stream: String, keeping: Duration = .zero) async throws -> Int {
        let groups = try await xinfoGroups(stream)
        guard !groups.isEmpty else { return 0 }
        var positions: [String] = []
        for group in groups {
            if group.pending > 0, let lowest = try await xpending(stream, group: group.name).lowestID {
                positions.append(lowest)
            } else {
                positions.append(group.lastDeliveredID)
            }
        }
        if keeping > .zero {
            let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
            let window = UInt64(max(0, keeping.components.seconds)) * 1000
            positions.append("\(now > window ? now - window : 0)-0")
        }
        guard let slowest = positions.min(by: { Self.streamID($0) < Self.streamID($1) }), slowest != "0-0" else { return 0 }
        return Int(try await execute(["XTRIM", stream, "MINID", slowest]).integer ?? 0)
    }

    /// A stream id `ms-seq` as a comparable pair (an unreadable one sorts first: trims nothing).
    static func streamID(_ id: String) -> (UInt64, UInt64) {
        let parts = id.split(separator: "-")
        guard parts.count == 2, let ms = UInt64(parts[0]), let seq = UInt64(parts[1]) else { return (0, 0) }
        return (ms, seq)
    }
}
