import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// The routes processing-service uses (``InternalMediaContract``: the paths, ``VideoSnapshot``,
/// ``StoredMediaReceipt``), so that only upload-service touches GridFS and the `videos`
/// collection. Not routed by the edge; guarded by `CLIPCUT_SERVICE_TOKEN`.
struct InternalMediaRoutes: Sendable {
    let dependencies: UploadServiceDependencies
    let serviceToken: String?

    func add(to router: Router<ClipCutRequestContext>) {
        let group = router.group(RouterPath(InternalMediaContract.root)).add(middleware: ServiceTokenMiddleware<ClipCutRequestContext>(token: serviceToken))
        group.get(":id", use: video)
        group.get(":id/source", use: source)
        group.put(":id/media/**", use: storeMedia)
        group.get(":id/media/**", use: readMedia)
        group.delete(":id/media", use: deleteMedia)
        // Outside the token's group: ffmpeg reads the source with a grant in the URL instead.
        router.get(RouterPath(InternalMediaContract.root + "/:id/granted-source"), use: grantedSource)
        router.get(RouterPath(InternalMediaContract.root + "/:id/granted-media/**"), use: grantedMedia)
    }

    private func record(_ context: ClipCutRequestContext) async throws -> VideoRecord {
        guard let id = context.parameters.get("id").flatMap(VideoID.init), let record = try await dependencies.repository.record(id: id) else {
            throw APIError.notFound("No such video.")
        }
        return record
    }

    private func mediaName(_ record: VideoRecord, _ context: ClipCutRequestContext) throws -> String {
        let path = context.parameters.getCatchAll().joined(separator: "/")
        guard MediaLayout.isSafeRelativePath(path) else { throw APIError.notFound("No such file.") }
        return "\(record.video.id)/\(path)"
    }

    @Sendable func video(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let video = try await record(context).video
        let languages = try await CaptionTrackStore(storage: dependencies.storage, video: video).languages()
            .sorted { ($0 == video.captionLanguage ? 0 : 1, $0) < ($1 == video.captionLanguage ? 0 : 1, $1) }
        let tracks = languages.map { language in
            let name = Locale(identifier: "en").localizedString(forLanguageCode: language) ?? language
            let translation = language == "en" && video.captionTranslated == true && video.captionLanguage != "en"
            return StoredCaptionTrack(language: language, label: translation ? "\(name) (translation)" : name)
        }
        return jsonResponse(VideoSnapshot(
            id: video.id, owner: video.owner, status: video.status, burnSubtitles: video.burnSubtitles, speechLanguage: video.speechLanguage,
            renditions: video.renditions.map(\.quality), captionTracks: tracks, captionEdited: video.captionEdited,
            container: VideoContainer(mediaType: video.contentType)?.rawValue, clipOf: video.clipOf))
    }

    @Sendable func source(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let record = try await record(context)
        guard let file = try await dependencies.storage.source(id: record.sourceFileID) else { throw APIError.notFound("The source is missing.") }
        return try await MediaResponder(storage: dependencies.storage).serve(file, request: request, contentType: record.video.contentType, cache: .revalidate)
    }

    /// The source for a ``SourceGrant`` (no token: the grant is signed with it). Without a
    /// configured token, as for every internal route, anyone may read it.
    @Sendable func grantedSource(request: Request, context: ClipCutRequestContext) async throws -> Response {
        if let serviceToken {
            let query = request.uri.queryParameters
            guard let id = context.parameters.get("id").flatMap(VideoID.init),
                  SourceGrant.isValid(videoId: id, expires: query.get("expires"), grant: query.get("grant"), token: serviceToken) else {
                throw APIError.unauthorized("A valid source grant is required.")
            }
        }
        return try await source(request: request, context: context)
    }

    /// One media file for a ``SourceGrant`` made for its path (ffmpeg reading a rendition for a
    /// clip). Without a configured token, as for every internal route, anyone may read it.
    @Sendable func grantedMedia(request: Request, context: ClipCutRequestContext) async throws -> Response {
        if let serviceToken {
            let query = request.uri.queryParameters
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let id = context.parameters.get("id").flatMap(VideoID.init),
                  SourceGrant.isValid(videoId: id, path: path, expires: query.get("expires"), grant: query.get("grant"), token: serviceToken)
            else {
                throw APIError.unauthorized("A valid media grant is required.")
            }
        }
        return try await readMedia(request: request, context: context)
    }

    @Sendable func storeMedia(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let record = try await record(context)
        let name = try mediaName(record, context)
        var metadata: [String: String] = [:]
        for key in InternalMediaContract.metadataKeys {
            if let value = request.uri.queryParameters.get(key), value.utf8.count <= 32 { metadata[key] = value }
        }
        let (_, file) = try await dependencies.storage.storeMedia(named: name, videoId: record.video.id, metadata: metadata) { sink in
            for try await buffer in request.body { try await sink.write(buffer) }
        }
        // Deletion wins: a video deleted while this file arrived gets no file.
        guard try await dependencies.repository.record(id: record.video.id) != nil else {
            try await dependencies.storage.deleteMedia(of: record.video.id)
            throw APIError.notFound("The video was deleted.")
        }
        return jsonResponse(StoredMediaReceipt(name: file.name, length: file.length), status: .created)
    }

    @Sendable func readMedia(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let record = try await record(context)
        guard let file = try await dependencies.storage.mediaFile(named: try mediaName(record, context)) else { throw APIError.notFound("No such file.") }
        return try await MediaResponder(storage: dependencies.storage).serve(file, request: request, contentType: "application/octet-stream", cache: .revalidate)
    }

    @Sendable func deleteMedia(request: Request, context: ClipCutRequestContext) async throws -> Response {
        // A video deleted meanwhile has no document but may still have files: delete by id.
        guard let id = context.parameters.get("id").flatMap(VideoID.init) else { throw APIError.notFound("No such video.") }
        try await dependencies.storage.deleteMedia(of: id)
        return Response(status: .noContent)
    }
}
