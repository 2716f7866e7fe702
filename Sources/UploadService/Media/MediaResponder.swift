import ClipCutCore
import Foundation
import Hummingbird
import NIOCore
import ServiceSupport
import _NIOFileSystem

/// Builds responses for stored files: validators, conditional requests and byte ranges. Media
/// files come from the ``MediaCache`` when it has (or makes) a copy, and through the edge's
/// `sendfile` when the request came through it (``EdgeHandOff``); else from GridFS.
struct MediaResponder: Sendable {
    let storage: any MediaStorage
    var cache: MediaCache? = nil
    /// Holds bodies sent from a cached copy to the connection's pace (none: not paced).
    var pacing: ResponsePacing? = nil

    /// How clients may cache a response.
    enum CachePolicy {
        /// Files whose name never gets other bytes (segments, renditions): a year, immutable.
        case immutable
        /// Files that a retried job may replace (captions, images): revalidate with the ETag.
        case revalidate

        var header: String {
            switch self {
            case .immutable: "private, max-age=31536000, immutable"
            case .revalidate: "private, no-cache"
            }
        }
    }

    /// `file` with `ETag`, `Last-Modified`, `Accept-Ranges`; 304 for a matching
    /// `If-None-Match`; 206 or 416 for a `Range` (see ``ByteRangeRequest``); else 200.
    func serve(
        _ file: StoredFile, of videoId: VideoID? = nil, request: Request, contentType: String, cache policy: CachePolicy
    ) async throws -> Response {
        var headers = HTTPFields()
        headers[.eTag] = file.entityTag
        headers[.lastModified] = HTTPDate.string(from: file.uploadDate)
        headers[.acceptRanges] = "bytes"
        headers[.cacheControl] = policy.header
        if let ifNoneMatch = request.headers[.ifNoneMatch], Self.matches(ifNoneMatch, file.entityTag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        var status = HTTPResponse.Status.ok
        var range = 0..<file.length
        // If-Range with another validator means the client's copy is stale: send everything.
        let ifRangeHolds = request.headers[.ifRange].map { $0 == file.entityTag } ?? true
        switch ByteRangeRequest(header: ifRangeHolds ? request.headers[.range] : nil, length: file.length) {
        case .whole:
            break
        case .partial(let requested):
            status = .partialContent
            range = requested
            headers[.contentRange] = "bytes \(requested.lowerBound)-\(requested.upperBound - 1)/\(file.length)"
        case .unsatisfiable:
            var error = APIError(.rangeNotSatisfiable, code: "range_not_satisfiable", message: "The range is outside the file.")
            error.headers[.contentRange] = "bytes */\(file.length)"
            throw error
        }
        if request.method == .head {
            headers[.contentLength] = String(range.count)
            return Response(status: status, headers: headers)
        }
        let copy: String? = if let cache = self.cache, let videoId { await cache.copy(of: file, videoId: videoId) } else { nil }
        if let cache, videoId != nil, copy == nil { cache.requests.miss.increment() }
        if let copy, let cache, let location = EdgeHandOff.location(in: request) {
            cache.requests.edge.increment()
            // The edge sends the copy itself (sendfile), with Range and If-Range against our
            // ETag; everything else in this response's head stays as it is.
            headers[.contentRange] = nil
            headers[.acceptRanges] = nil  // nginx sends its own for the file: once, not twice
            headers[EdgeHandOff.redirect] = location + copy.dropFirst(cache.objectsDirectory.count + 1)
            return Response(status: .ok, headers: headers)
        }
        if copy != nil { cache?.requests.hit.increment() }
        let storage = self.storage
        let servedRange = range
        let pacing = self.pacing
        let body = ResponseBody(contentLength: range.count) { writer in
            if let copy, try await Self.send(copy, range: servedRange, to: &writer, pacing: pacing) {
                return try await writer.finish(nil)
            }
            try await storage.read(file, range: servedRange) { buffer in try await writer.write(buffer) }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// The whole of a small file (a playlist, a caption track), from the cache when it can.
    func readAll(_ file: StoredFile, of videoId: VideoID) async throws -> [UInt8] {
        if let cache, let copy = await cache.copy(of: file, videoId: videoId),
           let buffer = try? await ByteBuffer(contentsOf: FilePath(copy), maximumSizeAllowed: .bytes(Int64(file.length))),
           buffer.readableBytes == file.length {
            return Array(buffer.readableBytesView)
        }
        return try await storage.readAll(file)
    }

    /// Bytes read from a cached copy at a time; with ``ResponsePacing`` about one is in flight
    /// per connection (128 KiB: 200 viewers stayed under 150 MB in scripts/bench playback).
    static let chunkBytes = 128 << 10

    /// Writes `range` of a cached copy; `false` if the copy could not be opened (evicted
    /// meanwhile), before anything was written: then GridFS serves the request.
    private static func send(
        _ path: String, range: Range<Int>, to writer: inout some ResponseBodyWriter, pacing: ResponsePacing?
    ) async throws -> Bool {
        let handle: ReadFileHandle
        do {
            handle = try await FileSystem.shared.openFile(forReadingAt: FilePath(path))
        } catch {
            return false
        }
        do {
            // One chunk read at a time, each written (the writer waits while the client is slow)
            // before the next is read: a reader reading ahead would hold megabytes per viewer.
            var offset = range.lowerBound
            while offset < range.upperBound {
                let chunk = try await handle.readChunk(fromAbsoluteOffset: Int64(offset), length: .bytes(Int64(min(Self.chunkBytes, range.upperBound - offset))))
                guard chunk.readableBytes > 0 else { throw MediaCacheCopy.Mismatch(description: "the copy ended early") }
                offset += chunk.readableBytes
                try await writer.write(chunk)
                try await pacing?.settle()
            }
        } catch {
            try? await handle.close()
            throw error
        }
        try await handle.close()
        return true
    }

    /// A small text response that must not be cached (it embeds a token).
    static func text(_ text: String, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "private, no-store"
        let buffer = ByteBuffer(string: text)
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// Whether an `If-None-Match` list names `tag` (weak comparison, `*` matches anything).
    static func matches(_ header: String, _ tag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let trimmed = candidate.trimmingCharacters(in: .whitespaces)
            return trimmed == "*" || trimmed == tag || trimmed == "W/" + tag
        }
    }
}

/// Adds the playback token to the relative URIs of playlists and storyboard tracks, so a
/// player resolving them against the playlist's URL still sends it.
enum PlaylistRewriter {
    /// Appends `token=` to every URI line and every `URI="…"` attribute of an M3U8 playlist.
    static func addingToken(_ token: String, toPlaylist playlist: String) -> String {
        playlist.split(separator: "\n", omittingEmptySubsequences: false).map { rawLine -> String in
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            if line.isEmpty { return line }
            if line.hasPrefix("#") { return rewritingURIAttributes(line, token: token) }
            return withToken(line, token: token)
        }.joined(separator: "\n")
    }

    /// Appends `token=` to the cue payload URLs of a storyboard WebVTT (`storyboard.jpg#xywh=…`).
    static func addingToken(_ token: String, toStoryboard track: String) -> String {
        track.split(separator: "\n", omittingEmptySubsequences: false).map { rawLine -> String in
            let line = String(rawLine)
            guard line.contains("#xywh="), let hash = line.firstIndex(of: "#") else { return line }
            return withToken(String(line[..<hash]), token: token) + line[hash...]
        }.joined(separator: "\n")
    }

    private static func rewritingURIAttributes(_ line: String, token: String) -> String {
        guard let start = line.range(of: "URI=\"") else { return line }
        guard let end = line[start.upperBound...].firstIndex(of: "\"") else { return line }
        let uri = String(line[start.upperBound..<end])
        return String(line[..<start.upperBound]) + withToken(uri, token: token) + line[end...]
    }

    /// A relative URI with the token; absolute URIs (another origin) are left alone.
    private static func withToken(_ uri: String, token: String) -> String {
        if uri.contains("://") || uri.hasPrefix("/") { return uri }
        return uri + (uri.contains("?") ? "&" : "?") + "token=" + token
    }
}
