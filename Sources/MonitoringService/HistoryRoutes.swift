import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// `GET /api/history` and `GET /api/history/:videoId`: the caller's uploads (admins may ask for
/// anyone's with `owner=`). Another user's video is 404, like one that does not exist.
struct HistoryRoutes: Sendable {
    let store: any HistoryStore
    let verifier: AccessTokenVerifier
    /// Confirms an administrator's role where other users' data is served.
    let adminCheck: any AdminRoleCheck

    func add(to router: Router<ClipCutRequestContext>) {
        let group = router.authenticatedGroup("api/history", verifier: verifier)
        group.get(use: list)
        group.get(":videoId", use: detail)
    }

    struct Page: Codable, Sendable {
        var uploads: [UploadSummary]
        var total: Int
        var nextCursor: String?
    }

    @Sendable func list(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let parameters = request.uri.queryParameters
        var query = HistoryQuery(owner: user.id, limit: 20)
        if let owner = parameters.get("owner") {
            guard try await adminCheck.confirms(request, context) else { throw APIError.forbidden("Only administrators may read another user's history.") }
            guard let id = UserID(owner) else { throw APIError(.badRequest, code: "invalid_owner", message: "owner must be a user id.") }
            query.owner = id
        }
        if let text = parameters.get("limit") {
            guard let limit = Int(text), (1...100).contains(limit) else {
                throw APIError(.badRequest, code: "invalid_limit", message: "limit must be an integer from 1 to 100.")
            }
            query.limit = limit
        }
        if let status = parameters.get("status") {
            guard VideoStatus(rawValue: status) != nil else {
                throw APIError(.badRequest, code: "invalid_status", message: "status must be uploaded, transcribing, transcoding, playable, ready or failed.")
            }
            query.status = status
        }
        query.from = try Self.date(parameters.get("from"), name: "from")
        query.to = try Self.date(parameters.get("to"), name: "to")
        if let from = query.from, let to = query.to, from > to {
            throw APIError(.badRequest, code: "invalid_range", message: "from must not be after to.")
        }
        if let text = parameters.get("q"), !text.isEmpty {
            guard text.count <= 200 else { throw APIError(.badRequest, code: "invalid_query", message: "q is longer than 200 characters.") }
            guard !text.unicodeScalars.contains(where: { $0.value == 0 }) else {
                throw APIError(.badRequest, code: "invalid_query", message: "q must not contain NUL characters.")
            }
            query.titleContains = text
        }
        if let text = parameters.get("cursor"), !text.isEmpty {
            guard let cursor = Self.cursor(from: text) else {
                throw APIError(.badRequest, code: "invalid_cursor", message: "The cursor is not one this service issued.")
            }
            query.after = cursor
        }
        let page = try await store.history(query)
        let next = page.uploads.count == query.limit ? page.uploads.last.map { Self.token(HistoryCursor(createdAt: $0.createdAt, videoId: $0.videoId)) } : nil
        return jsonResponse(Page(uploads: page.uploads, total: page.total, nextCursor: next))
    }

    /// One upload with its timeline and how long each stage took.
    struct Detail: Codable, Sendable {
        struct Stages: Codable, Sendable {
            var queuedSeconds: Double?
            var transcribingSeconds: Double?
            var transcodingSeconds: Double?
            /// From the upload to the first playable segments.
            var playableSeconds: Double?
            var totalSeconds: Double?
        }

        var upload: UploadSummary
        var timeline: [TimelineEvent]
        var stages: Stages
    }

    @Sendable func detail(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        guard let id = context.parameters.get("videoId").flatMap(VideoID.init), let upload = try await store.upload(id) else {
            throw APIError.notFound("No such upload.")
        }
        if upload.owner != user.id {
            guard try await adminCheck.confirms(request, context) else { throw APIError.notFound("No such upload.") }
        }
        let end = upload.readyAt ?? upload.failedAt
        func span(_ from: Date?, _ to: Date?) -> Double? {
            guard let from, let to else { return nil }
            return max(0, to.timeIntervalSince(from))
        }
        let stages = Detail.Stages(
            queuedSeconds: span(upload.createdAt, upload.transcribingAt ?? upload.transcodingAt ?? end),
            transcribingSeconds: span(upload.transcribingAt, upload.transcodingAt ?? end),
            transcodingSeconds: span(upload.transcodingAt, end), playableSeconds: span(upload.createdAt, upload.playableAt),
            totalSeconds: span(upload.createdAt, end))
        return jsonResponse(Detail(upload: upload, timeline: try await store.timeline(id), stages: stages))
    }

    static func date(_ text: String?, name: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        throw APIError(.badRequest, code: "invalid_date", message: "\(name) must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z.")
    }

    static func token(_ cursor: HistoryCursor) -> String {
        Base64URL.encode(Data("\(Int64((cursor.createdAt.timeIntervalSince1970 * 1_000_000).rounded()))|\(cursor.videoId)".utf8))
    }

    static func cursor(from token: String) -> HistoryCursor? {
        guard token.utf8.count <= 120, let data = Base64URL.decode(Substring(token)), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|")
        guard parts.count == 2, let micros = Int64(parts[0]), micros >= 0, let id = VideoID(String(parts[1])) else { return nil }
        return HistoryCursor(createdAt: Date(timeIntervalSince1970: TimeInterval(micros) / 1_000_000), videoId: id)
    }
}
