import Foundation

/// The H.264 decoder configuration (`avcC`: profile, level, SPS and PPS) an MP4 file declares,
/// read from its `moov` without running a tool: two encodes whose records are equal can be
/// joined packet for packet.
public enum AVCConfiguration {
    /// The `avcC` record (the box's payload) of the first H.264 sample description in the MP4 at
    /// `path`; `nil` when the file has none, is unreadable, or its `moov` exceeds `movieLimit` bytes.
    public static func record(inFile path: String, movieLimit: Int = 64 << 20) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd() else { return nil }
        var offset: UInt64 = 0
        while offset + 8 <= end {
            guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: 16), data.count >= 8 else { return nil }
            let header = [UInt8](data)
            var size = UInt64(bigEndian32(header, at: 0))
            var headerSize: UInt64 = 8
            if size == 1 {
                guard header.count >= 16 else { return nil }
                size = UInt64(bigEndian32(header, at: 8)) << 32 | UInt64(bigEndian32(header, at: 12))
                headerSize = 16
            } else if size == 0 {
                size = end - offset  // the last box runs to the end of the file
            }
            guard size >= headerSize, size <= end - offset else { return nil }
            if header[4..<8].elementsEqual("moov".utf8) {
                guard size - headerSize <= UInt64(clamping: movieLimit), (try? handle.seek(toOffset: offset + headerSize)) != nil,
                      let movie = try? handle.read(upToCount: Int(size - headerSize))
                else { return nil }
                return record(inMovie: [UInt8](movie))
            }
            offset += size
        }
        return nil
    }

    /// The first well-formed `avcC` box's payload within `bytes` (a `moov` box's contents).
    public static func record(inMovie bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 12 else { return nil }
        for index in 4...(bytes.count - 8) where bytes[index..<index + 4].elementsEqual("avcC".utf8) {
            let size = Int(bigEndian32(bytes, at: index - 4))
            // configurationVersion 1, and at least the 7 bytes before the parameter sets.
            guard bytes[index + 4] == 1, size >= 15, index - 4 + size <= bytes.count else { continue }
            return Array(bytes[(index + 4)..<(index - 4 + size)])
        }
        return nil
    }

    private static func bigEndian32(_ bytes: [UInt8], at index: Int) -> UInt32 {
        bytes[index..<index + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
