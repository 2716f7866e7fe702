import ClipCutCore
import Foundation
import Redis

extension RedisJobQueueReader: JobQueueInspector {
    public func running() async throws -> [RunningJob] {
        let prefix = RedisNames.jobQueuePrefix
        let ids = try await redis.execute(["ZRANGE", prefix + "leases", "0", "99"]).array?.compactMap(\.string) ?? []
        var jobs: [RunningJob] = []
        for id in ids {
            let fields = try await redis.execute(["HMGET", prefix + "job:" + id, "video", "owner", "consumer", "started"]).array?
                .map { $0.string ?? "" } ?? []
            guard fields.count == 4 else { continue }
            let started = Double(fields[3]).map { Date(timeIntervalSince1970: $0 / 1000) }
            jobs.append(RunningJob(videoId: VideoID(fields[0]), owner: fields[1].isEmpty ? "-" : fields[1], worker: fields[2], since: started))
        }
        return jobs.sorted { ($0.since ?? .distantPast) < ($1.since ?? .distantPast) }
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetterEntry] {
        try await redis.xrevrange(RedisNames.deadLetterStream, count: max(1, min(limit, 1000))).map(Self.deadLetter)
    }

    public func deadLetter(id: String) async throws -> DeadLetterEntry? {
        guard DeadLetterEntry.isValidID(id) else { return nil }
        return try await redis.xrange(RedisNames.deadLetterStream, start: id, end: id, count: 1).first.map(Self.deadLetter)
    }

    public func removeDeadLetter(id: String) async throws -> Bool {
        guard DeadLetterEntry.isValidID(id) else { return false }
        return try await redis.xdel(RedisNames.deadLetterStream, ids: [id]) == 1
    }

    static func deadLetter(_ entry: RedisStreamEntry) -> DeadLetterEntry {
        let millis = entry.id.split(separator: "-").first.flatMap { Double($0) } ?? 0
        return DeadLetterEntry(
            id: entry.id, job: DeadLetterEntry.job(from: entry.fields[RedisNames.messageField] ?? ""),
            reason: entry.fields["reason"] ?? "", attempts: entry.fields["attempts"].flatMap { Int($0) } ?? 0,
            at: Date(timeIntervalSince1970: millis / 1000))
    }
}
