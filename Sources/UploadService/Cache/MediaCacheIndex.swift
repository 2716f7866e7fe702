import ClipCutCore

/// What the media cache holds, in memory: each cached file's key (its path under the cache's
/// `objects` directory, `<videoId>/<fileId>.<length>`), its video and size, and when it was last
/// used, so that the least recently used go first when the bytes pass the limit.
///
/// A value type without I/O: ``MediaCache`` owns one and deletes the files it names.
struct MediaCacheIndex: Sendable {
    struct Entry: Sendable, Equatable {
        var videoId: VideoID
        var size: Int
        /// A counter, not a clock: larger is more recent.
        var lastUse: UInt64
    }

    /// Bytes the cached files may take.
    let limit: Int
    private(set) var entries: [String: Entry] = [:]
    private(set) var totalBytes = 0
    private var clock: UInt64 = 0

    init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// The entry for `key`, marked as just used.
    mutating func use(_ key: String) -> Entry? {
        guard entries[key] != nil else { return nil }
        clock += 1
        entries[key]?.lastUse = clock
        return entries[key]
    }

    /// Whether `size` bytes could be cached at all.
    func admits(size: Int) -> Bool { size >= 0 && size <= limit }

    /// Records a new file as the most recently used and returns the keys to delete so that the
    /// total fits the limit again: least recently used first, never `key` itself. A file larger
    /// than the limit is not recorded (its own key is returned).
    mutating func insert(_ key: String, videoId: VideoID, size: Int) -> [String] {
        guard admits(size: size) else { return [key] }
        if let old = entries[key] { totalBytes -= old.size }
        clock += 1
        entries[key] = Entry(videoId: videoId, size: size, lastUse: clock)
        totalBytes += size
        return evictToFit(sparing: key)
    }

    /// Records a file found on disk at start, older than everything used since.
    mutating func adopt(_ key: String, videoId: VideoID, size: Int, order: UInt64) {
        if let old = entries[key] { totalBytes -= old.size }
        entries[key] = Entry(videoId: videoId, size: size, lastUse: order)
        totalBytes += size
        clock = max(clock, order)
    }

    /// Evicts down to the limit (after adopting what was on disk); returns the keys to delete.
    mutating func evictToFit(sparing spared: String? = nil) -> [String] {
        guard totalBytes > limit else { return [] }
        var evicted: [String] = []
        for (key, entry) in entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) where key != spared {
            guard totalBytes > limit else { break }
            entries[key] = nil
            totalBytes -= entry.size
            evicted.append(key)
        }
        return evicted
    }

    /// Forgets one file.
    mutating func remove(_ key: String) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        totalBytes -= entry.size
    }

    /// Forgets every file of a video; returns their keys.
    mutating func removeAll(of videoId: VideoID) -> [String] {
        let keys = entries.filter { $0.value.videoId == videoId }.map(\.key)
        for key in keys { remove(key) }
        return keys
    }

    /// The key of a stored file: `<videoId>/<fileId>.<length>`. GridFS never changes a file's
    /// bytes under its id, so the key names one content for ever.
    static func key(videoId: VideoID, fileId: String, length: Int) -> String {
        "\(videoId)/\(fileId).\(length)"
    }

    /// Reads a key back (for files found on disk): the video and the length it promises.
    static func parse(_ key: String) -> (videoId: VideoID, length: Int)? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let videoId = VideoID(String(parts[0])) else { return nil }
        let name = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard name.count == 2, name[0].count == 24, name[0].allSatisfy(\.isHexDigit),
              let length = Int(name[1]), length >= 0, String(length) == name[1] else { return nil }
        return (videoId, length)
    }
}
