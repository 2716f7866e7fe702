import ClipCutCore
import Foundation
import Logging
import NIOCore
import Redis
import ServiceLifecycle
import _NIOFileSystem

/// Keeps this replica's ``MediaCache`` free of deleted videos: reads every `video.deleted` on
/// `clipcut:events` (with `XREAD`, outside the consumer groups, so that every replica sees every
/// deletion) and purges that video's copies.
///
/// Where it got to is kept beside the cache (`events-position`), so a replica that was down
/// while videos were deleted purges them when it comes back (as far as the stream still holds).
/// Serving never depends on it: authorisation looks the video up first (``MediaLookups``).
struct MediaCacheInvalidator: Service {
    let redis: RedisClient
    let cache: MediaCache
    let logger: Logger

    private var positionPath: String { cache.options.root + "/events-position" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var position = await readPosition() ?? "$"
            var pause = Duration.seconds(1)
            while !Task.isCancelled {
                do {
                    let entries = try await redis.xread(RedisNames.eventsStream, after: position, count: 200, block: .seconds(5))
                    if position == "$", entries.isEmpty, let newest = try await redis.xrevrange(RedisNames.eventsStream, count: 1).first {
                        // Remember a real id, so what is deleted while the read is re-issued is not missed.
                        position = newest.id
                        await savePosition(position)
                        continue
                    }
                    for entry in entries {
                        if let json = entry.fields[RedisNames.messageField], case .videoDeleted(let deleted)? = try? ClipCutEvent.decode(from: json) {
                            await cache.purge(deleted.payload.videoId)
                        }
                        position = entry.id
                    }
                    if !entries.isEmpty { await savePosition(position) }
                    pause = .seconds(1)
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("media cache invalidation cannot read events; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(30))
                }
            }
        }
    }

    private func readPosition() async -> String? {
        guard let buffer = try? await ByteBuffer(contentsOf: FilePath(positionPath), maximumSizeAllowed: .bytes(64)) else { return nil }
        let text = String(buffer: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        return text
    }

    private func savePosition(_ position: String) async {
        do {
            try await FileSystem.shared.createDirectory(at: FilePath(cache.options.root), withIntermediateDirectories: true)
            _ = try await ByteBuffer(string: position).write(toFileAt: FilePath(positionPath), options: .newFile(replaceExisting: true))
        } catch {
            logger.debug("media cache events position not saved", metadata: ["error": "\(error)"])
        }
    }
}
