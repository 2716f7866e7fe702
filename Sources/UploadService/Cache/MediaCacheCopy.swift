import Foundation
import NIOCore
import _NIOFileSystem

/// Making and finding the media cache's copies on disk.
enum MediaCacheCopy {
    /// A copy whose bytes are not the stored file's.
    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    /// Copies `file` from `storage` to `path`. The copy is written aside and appears under `path`
    /// only when its length, and its SHA-256 where the file has one, match; its modification
    /// time is the file's upload date (what `Last-Modified` says, whoever serves the copy).
    static func write(_ file: StoredFile, from storage: any MediaStorage, to path: String) async throws {
        try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(path), options: .newFile(replaceExisting: true)) { handle in
            var hasher = StreamingSHA256()
            var offset: Int64 = 0
            try await storage.read(file, range: 0..<file.length) { buffer in
                hasher.update(buffer)
                offset += try await handle.write(contentsOf: buffer, toAbsoluteOffset: offset)
            }
            guard offset == Int64(file.length) else {
                throw Mismatch(description: "\(offset) bytes read, the file has \(file.length)")
            }
            if let expected = file.digest {
                let digest = hasher.finalize()
                guard digest == expected else { throw Mismatch(description: "SHA-256 \(digest), stored as \(expected)") }
            }
            let seconds = Int(exactly: file.uploadDate.timeIntervalSince1970.rounded(.down)) ?? 0
            try await handle.setTimes(lastAccess: nil, lastDataModification: FileInfo.Timespec(seconds: max(0, seconds), nanoseconds: 0))
        }
    }

    /// Every regular file under `<root>/objects/<videoId>/` as `(key, size, modified)`, after
    /// creating the directories and removing what an interrupted copy left behind. Blocking: run
    /// it on a thread pool.
    static func scan(root: String) throws -> [(key: String, size: Int, modified: Double)] {
        let manager = FileManager.default
        let objects = root + "/objects"
        try manager.createDirectory(atPath: objects, withIntermediateDirectories: true)
        var found: [(key: String, size: Int, modified: Double)] = []
        for video in try manager.contentsOfDirectory(atPath: objects) {
            let directory = objects + "/" + video
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                try? manager.removeItem(atPath: directory)
                continue
            }
            for name in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] {
                let path = directory + "/" + name
                guard let attributes = try? manager.attributesOfItem(atPath: path),
                      attributes[.type] as? FileAttributeType == .typeRegular, !name.hasPrefix(".") else {
                    try? manager.removeItem(atPath: path)  // a temporary file of an interrupted copy
                    continue
                }
                let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                found.append((video + "/" + name, size, modified))
            }
        }
        return found
    }
}
