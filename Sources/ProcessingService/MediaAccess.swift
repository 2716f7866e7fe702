import AsyncHTTPClient
import ClipCutCore
import Foundation
import NIOCore
import NIOHTTP1
import ServiceSupport
import Transcoder

/// Media as processing-service uses it: it reads documents and sources, and writes derived
/// media (names from ``MediaLayout``). Only upload-service touches GridFS; this goes through it.
protocol MediaAccess: Sendable {
    func video(_ id: VideoID) async throws -> VideoSnapshot?
    /// Streams the source to a file on disk.
    func downloadSource(_ video: VideoSnapshot, to path: String) async throws
    /// Where ffmpeg can read the source itself, with byte ranges, for `lifetime` (a URL with a
    /// ``SourceGrant``, the demuxer of the container upload-service recognised); `nil` when it
    /// cannot (no container on record): then the source is downloaded first.
    func sourceInput(_ video: VideoSnapshot, validFor lifetime: Duration) -> MediaInput?
    /// Stores a derived file under `name`, replacing any earlier file of that name; returns its length.
    func store(_ path: String, as name: String, videoId: VideoID, metadata: [String: String]) async throws -> Int
    /// Stores small bytes (playlists, captions) the same way.
    func store(bytes: [UInt8], as name: String, videoId: VideoID) async throws
    /// Reads a stored derived file back to disk (caption retries re-mux the MP4s); `false` if there is none.
    func downloadMedia(named name: String, to path: String) async throws -> Bool
    /// Deletes every derived file of the video (a retry starts clean).
    func deleteMedia(of videoId: VideoID) async throws
    /// Where ffmpeg can read a stored MP4 (`name`, e.g. a rendition) itself, with byte ranges,
    /// for `lifetime` (a URL with a ``SourceGrant`` for that file); `nil`: download it first.
    func mediaInput(named name: String, validFor lifetime: Duration) -> MediaInput?
    /// Bytes `range` of a stored derived file (a rendition's `moov`), with the file's whole
    /// length; `nil` when there is no such file or this access cannot read ranges.
    func readMedia(named name: String, bytes range: Range<Int>) async throws -> (bytes: [UInt8], length: Int)?
}

extension MediaAccess {
    /// No network reading: the source is downloaded first.
    func sourceInput(_ video: VideoSnapshot, validFor lifetime: Duration) -> MediaInput? { nil }
    /// No network reading: the file is downloaded first.
    func mediaInput(named name: String, validFor lifetime: Duration) -> MediaInput? { nil }
    /// No ranges: ffprobe reads the file instead.
    func readMedia(named name: String, bytes range: Range<Int>) async throws -> (bytes: [UInt8], length: Int)? { nil }
}

/// upload-service refused or failed a media request.
struct MediaAccessError: Error, CustomStringConvertible {
    var status: Int
    var what: String
    var description: String { "upload-service answered \(status) to \(what)" }
    /// The source is gone for good (404).
    var isMissing: Bool { status == 404 }
}

/// ``MediaAccess`` over upload-service's internal routes (`/internal/videos/…`).
struct UploadServiceMediaAccess: MediaAccess {
    let http: HTTPClient
    let baseURL: String
    let token: String?

    /// A request to one of ``InternalMediaContract``'s paths.
    private func request(_ path: String, method: HTTPMethod = .GET) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    func video(_ id: VideoID) async throws -> VideoSnapshot? {
        let response = try await http.execute(request(InternalMediaContract.videoPath(id)), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        if response.status == .notFound { return nil }
        guard response.status == .ok else { throw MediaAccessError(status: Int(response.status.code), what: "a video lookup") }
        return try JSONCoding.decode(VideoSnapshot.self, from: Data(buffer: body))
    }

    func downloadSource(_ video: VideoSnapshot, to path: String) async throws {
        try await download(InternalMediaContract.sourcePath(video.id), to: path, what: "the source")
    }

    func sourceInput(_ video: VideoSnapshot, validFor lifetime: Duration) -> MediaInput? {
        guard let container = video.container.flatMap(VideoContainer.init(rawValue:)) else { return nil }
        // The grant, not the token: a command line is visible to anyone on the machine.
        var url = baseURL + InternalMediaContract.grantedSourcePath(video.id)
        if let token { url += "?" + SourceGrant(videoId: video.id, lifetime: lifetime, token: token).query }
        return .network(url: url, demuxer: container.demuxer)
    }

    func store(_ path: String, as name: String, videoId: VideoID, metadata: [String: String]) async throws -> Int {
        let length = Int((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
        try await put(try mediaPath(name), metadata: metadata, body: try FileBody.make(path: path))
        return length
    }

    func store(bytes: [UInt8], as name: String, videoId: VideoID) async throws {
        try await put(try mediaPath(name), metadata: [:], body: .bytes(ByteBuffer(bytes: bytes)))
    }

    private func put(_ path: String, metadata: [String: String], body: HTTPClientRequest.Body) async throws {
        var components = URLComponents()
        components.queryItems = metadata.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        var request = request(path + (metadata.isEmpty ? "" : "?" + (components.percentEncodedQuery ?? "")), method: .PUT)
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = body
        let response = try await http.execute(request, timeout: .minutes(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else { throw MediaAccessError(status: Int(response.status.code), what: "storing \(path)") }
    }

    func downloadMedia(named name: String, to path: String) async throws -> Bool {
        guard let mediaPath = InternalMediaContract.mediaPath(named: name) else { return false }
        do {
            try await download(mediaPath, to: path, what: name)
            return true
        } catch let error as MediaAccessError where error.isMissing {
            return false
        }
    }

    func mediaInput(named name: String, validFor lifetime: Duration) -> MediaInput? {
        let parts = name.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let videoId = VideoID(String(parts[0])) else { return nil }
        let path = String(parts[1])
        var url = baseURL + InternalMediaContract.grantedMediaPath(videoId, path: path)
        if let token { url += "?" + SourceGrant(videoId: videoId, path: path, lifetime: lifetime, token: token).query }
        return .network(url: url, demuxer: VideoContainer.mp4.demuxer)
    }

    /// The internal path of a media name; a name that is not `<videoId>/…` is a bug here.
    private func mediaPath(_ name: String) throws -> String {
        guard let path = InternalMediaContract.mediaPath(named: name) else { throw MediaAccessError(status: 0, what: "the media name \(name)") }
        return path
    }

    func deleteMedia(of videoId: VideoID) async throws {
        let response = try await http.execute(request(InternalMediaContract.allMediaPath(videoId), method: .DELETE), timeout: .seconds(120))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .noContent else { throw MediaAccessError(status: Int(response.status.code), what: "deleting media") }
    }

    func readMedia(named name: String, bytes range: Range<Int>) async throws -> (bytes: [UInt8], length: Int)? {
        guard let path = InternalMediaContract.mediaPath(named: name), !range.isEmpty else { return nil }
        var request = request(path)
        request.headers.add(name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound - 1)")
        let response = try await http.execute(request, timeout: .seconds(60))
        switch response.status {
        case .partialContent:
            let body = try await response.body.collect(upTo: range.count)
            // "bytes a-b/length"
            guard let total = response.headers.first(name: "Content-Range")?.split(separator: "/").last.flatMap({ Int($0) }) else { return nil }
            return (Array(buffer: body), total)
        case .notFound, .rangeNotSatisfiable:
            _ = try? await response.body.collect(upTo: 1 << 16)
            return nil
        case .ok:
            return nil  // no ranges: not the whole file for a few bytes of it (ffprobe reads it instead)
        default:
            _ = try? await response.body.collect(upTo: 1 << 16)
            throw MediaAccessError(status: Int(response.status.code), what: "reading \(name)")
        }
    }

    /// Streams a GET to a file, buffer by buffer.
    private func download(_ path: String, to file: String, what: String) async throws {
        let response = try await http.execute(request(path), timeout: .minutes(30))
        guard response.status == .ok else {
            _ = try? await response.body.collect(upTo: 1 << 20)
            throw MediaAccessError(status: Int(response.status.code), what: what)
        }
        guard FileManager.default.createFile(atPath: file, contents: nil), let handle = FileHandle(forWritingAtPath: file) else {
            throw MediaAccessError(status: 0, what: "writing \(file)")
        }
        defer { try? handle.close() }
        for try await buffer in response.body {
            try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: Data($0)) }
        }
    }
}
