import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// `POST /api/videos/:id/clips` `{"from": 62, "to": 84, "title": "…"}`: a range of the owner's
/// ready video becomes a new video of its own (status `uploaded`, `clipOf` naming the source and
/// the range), queued like an upload; processing-service cuts its renditions from the source's
/// (``ClipOrigin``). The clip owns its media: deleting the source leaves it.
struct ClipRoutes: Sendable {
    let dependencies: UploadServiceDependencies

    /// The shortest clip, in seconds.
    static let shortest = 1.0

    func add(to group: RouterGroup<ClipCutRequestContext>) {
        group.post(":id/clips", use: create)
    }

    struct ClipRequest: Codable, Sendable {
        var from: Double
        var to: Double
        var title: String?
    }

    @Sendable func create(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        guard let id = context.parameters.get("id").flatMap(VideoID.init), let record = try await dependencies.repository.record(id: id),
              record.video.owner == user.id
        else { throw APIError.notFound("No such video.") }
        let source = record.video
        guard source.status == .ready, let duration = source.durationSeconds, duration > 0, !source.renditions.isEmpty else {
            throw APIError(.conflict, code: "source_not_ready", message: "The video must be ready before a clip can be cut from it.")
        }
        let body = try await request.decode(as: ClipRequest.self, context: context)
        let end = min(body.to, duration)
        guard body.from.isFinite, body.to.isFinite, body.from >= 0, body.to <= duration + 0.05, end - body.from >= Self.shortest else {
            throw APIError(
                .badRequest, code: "invalid_range",
                message: "from and to must lie within the video (0 to \(String(format: "%.2f", duration)) s) and at least 1 s apart.")
        }
        let title = try VideoFields.title(body.title ?? "\(source.title) (clip)")
        // What the clip will hold, for the quota: its share of the source's bytes.
        let size = Int64((Double(source.size) * (end - body.from) / duration).rounded(.up))
        try await dependencies.allowance(for: user.id).check(size)
        var video = Video(
            owner: user.id, title: title, filename: source.filename, size: size, sha256: "", contentType: "video/mp4")
        video.clipOf = ClipOrigin(videoId: source.id, from: body.from, to: end)
        try await dependencies.repository.insert(VideoRecord(video: video, sourceFileID: "", publishPending: true))
        await dependencies.publication.publishUpload(of: video)
        dependencies.logger.info("clip queued", metadata: ["videoId": "\(video.id)", "source": "\(source.id)"])
        return jsonResponse(video, status: .created)
    }
}
