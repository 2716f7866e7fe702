import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// The media of a video, as processing-service stored it: MP4 renditions with HTTP Range,
/// the HLS tree, caption tracks, poster and storyboard. Reads go through MediaStore's bounded
/// chunk windows, so a seek costs the bytes asked for, not the file.
struct MediaRoutes: Sendable {
    let storage: any MediaStorage
    let access: MediaAccess
    /// The local copies of media files (none: every read from GridFS).
    var cache: MediaCache? = nil

    private func responder(_ context: ClipCutRequestContext) -> MediaResponder {
        MediaResponder(storage: storage, cache: cache, pacing: ResponsePacing(eventLoop: context.eventLoop))
    }

    func add(to group: RouterGroup<ClipCutRequestContext>) {
        group.get(":id/renditions/:file", use: rendition)
        group.get(":id/hls/**", use: hls)
        group.get(":id/captions/:file", use: captions)
        group.get(":id/poster.jpg", use: poster)
        group.get(":id/storyboard.jpg", use: storyboardImage)
        group.get(":id/storyboard.vtt", use: storyboardTrack)
        // HEAD for what players probe before they play (size, type, ranges).
        group.head(":id/renditions/:file", use: rendition)
        group.head(":id/hls/**", use: hls)
        group.head(":id/captions/:file", use: captions)
        group.head(":id/poster.jpg", use: poster)
    }

    @Sendable func rendition(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let grant = try await access.authorize(request, context)
        let file = context.parameters.get("file") ?? ""
        let quality = String(file.dropLast(4))
        guard file.hasSuffix(".mp4"), MediaLayout.isQualityName(quality) else { throw APIError.notFound("No such rendition.") }
        let stored = try await mediaFile(MediaLayout.renditionMP4(grant.record.video.id, quality: quality), grant, missing: "No such rendition.")
        return try await responder(context).serve(stored, of: grant.record.video.id, request: request, contentType: "video/mp4", cache: .immutable)
    }

    @Sendable func hls(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let grant = try await access.authorize(request, context)
        let video = grant.record.video.id
        let path = context.parameters.getCatchAll().joined(separator: "/")
        guard MediaLayout.isSafeRelativePath(path) else { throw APIError.notFound("No such file.") }
        let stored = try await mediaFile(MediaLayout.hlsFile(video, path: path), grant, missing: "No such file.")
        let type = Self.contentType(ofHLSFile: path)
        if path.hasSuffix(".m3u8") {
            // Until the video is ready its playlists grow: never copied into the cache tier (each
            // version would be a fill in front of the viewer at first play, and evict what lasts).
            let reader = grant.record.video.status == .ready ? responder(context) : MediaResponder(storage: storage)
            let text = String(decoding: try await reader.readAll(stored, of: video), as: UTF8.self)
            return MediaResponder.text(PlaylistRewriter.addingToken(grant.token, toPlaylist: text), contentType: type)
        }
        return try await responder(context).serve(stored, of: video, request: request, contentType: type, cache: .immutable)
    }

    @Sendable func captions(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let grant = try await access.authorize(request, context)
        let file = context.parameters.get("file") ?? ""
        let language = String(file.dropLast(4))
        guard file.hasSuffix(".vtt"), Self.isLanguageCode(language) else { throw APIError.notFound("No such caption track.") }
        let stored = try await mediaFile(MediaLayout.captions(grant.record.video.id, language: language), grant, missing: "No such caption track.")
        return try await responder(context).serve(
            stored, of: grant.record.video.id, request: request, contentType: "text/vtt; charset=utf-8", cache: .revalidate)
    }

    @Sendable func poster(request: Request, context: ClipCutRequestContext) async throws -> Response {
        try await image(request, context, name: MediaLayout.poster, missing: "No poster yet.")
    }

    @Sendable func storyboardImage(request: Request, context: ClipCutRequestContext) async throws -> Response {
        try await image(request, context, name: MediaLayout.storyboardImage, missing: "No storyboard yet.")
    }

    private func image(
        _ request: Request, _ context: ClipCutRequestContext, name: (VideoID) -> String, missing: String
    ) async throws -> Response {
        let grant = try await access.authorize(request, context)
        let stored = try await mediaFile(name(grant.record.video.id), grant, missing: missing)
        return try await responder(context).serve(stored, of: grant.record.video.id, request: request, contentType: "image/jpeg", cache: .revalidate)
    }

    @Sendable func storyboardTrack(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let grant = try await access.authorize(request, context)
        let stored = try await mediaFile(MediaLayout.storyboardTrack(grant.record.video.id), grant, missing: "No storyboard yet.")
        let text = String(decoding: try await responder(context).readAll(stored, of: grant.record.video.id), as: UTF8.self)
        return MediaResponder.text(PlaylistRewriter.addingToken(grant.token, toStoryboard: text), contentType: "text/vtt; charset=utf-8")
    }

    private func mediaFile(_ name: String, _ grant: MediaAccess.Grant, missing: String) async throws -> StoredFile {
        guard let file = try await access.lookups.mediaFile(named: name, in: grant.lookup) else { throw APIError.notFound(missing) }
        return file
    }

    /// `en`, `de`, `pt-BR`, `zh-Hant`: a BCP-47-shaped tag of letters, digits and dashes.
    static func isLanguageCode(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLowercase }),
              parts.count <= 3 else { return false }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    static func contentType(ofHLSFile path: String) -> String {
        switch path.split(separator: ".").last.map(String.init) ?? "" {
        case "m3u8": "application/vnd.apple.mpegurl"
        case "m4s": "video/iso.segment"
        case "mp4", "m4v": "video/mp4"
        case "ts": "video/mp2t"
        case "vtt", "webvtt": "text/vtt; charset=utf-8"
        case "aac": "audio/aac"
        default: "application/octet-stream"
        }
    }
}
