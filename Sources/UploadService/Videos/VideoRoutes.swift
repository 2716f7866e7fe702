import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// The owner's videos: `GET /api/videos`, `GET|PATCH|DELETE /api/videos/:id`.
/// Another user's video answers 404, exactly like one that does not exist.
struct VideoRoutes: Sendable {
    let dependencies: UploadServiceDependencies

    func add(to group: RouterGroup<ClipCutRequestContext>) {
        group.get(use: list)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: delete)
    }

    /// A page of the owner's videos, newest first.
    struct VideoPage: Codable, Sendable {
        var videos: [Video]
        var nextCursor: String?
    }

    @Sendable func list(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let query = request.uri.queryParameters
        var limit = 20
        if let text = query.get("limit") {
            guard let parsed = Int(text), (1...100).contains(parsed) else {
                throw APIError(.badRequest, code: "invalid_limit", message: "limit must be an integer from 1 to 100.")
            }
            limit = parsed
        }
        var cursor: VideoCursor?
        if let text = query.get("cursor"), !text.isEmpty {
            guard let parsed = VideoCursor(token: text) else {
                throw APIError(.badRequest, code: "invalid_cursor", message: "The cursor is not one this service issued.")
            }
            cursor = parsed
        }
        let videos = try await dependencies.repository.videos(owner: user.id, after: cursor, limit: limit + 1)
        let page = Array(videos.prefix(limit))
        let next = videos.count > limit ? page.last.map { VideoCursor(createdAt: $0.createdAt, id: $0.id).token } : nil
        return jsonResponse(VideoPage(videos: page, nextCursor: next))
    }

    @Sendable func show(request: Request, context: ClipCutRequestContext) async throws -> Response {
        jsonResponse(try await ownedRecord(request, context).video)
    }

    /// The fields `PATCH` accepts; absent ones stay.
    struct VideoPatch: Decodable {
        var title: String?
        var description: String?
        var visibility: VideoVisibility?
    }

    @Sendable func update(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let record = try await ownedRecord(request, context)
        let patch: VideoPatch
        do {
            patch = try await request.decode(as: VideoPatch.self, context: context)
        } catch let error as APIError {
            throw error.code == "invalid_json" && error.message.contains("visibility")
                ? APIError(.badRequest, code: "invalid_visibility", message: "visibility must be private or unlisted.") : error
        }
        let change = VideoDetailsChange(
            title: try patch.title.map(VideoFields.title), description: try patch.description.map(VideoFields.description),
            visibility: patch.visibility)
        guard change.title != nil || change.description != nil || change.visibility != nil else {
            throw APIError.badRequest("Send at least one of title, description, visibility.")
        }
        guard let video = try await dependencies.repository.updateDetails(id: record.video.id, change: change, at: Date()) else {
            throw APIError.notFound("No such video.")
        }
        return jsonResponse(video)
    }

    @Sendable func delete(request: Request, context: ClipCutRequestContext) async throws -> Response {
        try await dependencies.deleteVideo(try await ownedRecord(request, context))
        return Response(status: .noContent)
    }

    /// The caller's video named in the path, or 404.
    private func ownedRecord(_ request: Request, _ context: ClipCutRequestContext) async throws -> VideoRecord {
        let user = try context.requireUser()
        guard let id = context.parameters.get("id").flatMap(VideoID.init),
              let record = try await dependencies.repository.record(id: id), record.video.owner == user.id
        else { throw APIError.notFound("No such video.") }
        return record
    }
}
