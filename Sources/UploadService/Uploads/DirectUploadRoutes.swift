import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceSupport

/// `POST /api/videos`: one request carries the whole file, either as the body itself
/// (`Content-Type: video/*` or `application/octet-stream`, details in `X-Title`,
/// `X-Description`, `X-Filename` or the query) or as `multipart/form-data` with a `file` part
/// and `title`/`description` fields. Either way the bytes stream into GridFS as they arrive.
struct DirectUploadRoutes: Sendable {
    let dependencies: UploadServiceDependencies

    /// Largest non-file form field.
    static let maximumFieldBytes = 16 * 1024
    /// What a multipart body may hold besides the file (headers, boundaries, three fields).
    static let multipartOverhead: Int64 = 64 * 1024

    func add(to group: RouterGroup<ClipCutRequestContext>) {
        group.post(use: upload)
    }

    @Sendable func upload(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let contentType = request.headers[.contentType] ?? ""
        let declaredLength = request.headers[.contentLength].flatMap { Int64($0) }
        let allowance = try await dependencies.allowance(for: user.id)
        let isMultipart = MultipartReader.boundary(fromContentType: contentType) != nil
        // A multipart body also carries boundaries and small fields: allow for them.
        if let declaredLength { try allowance.check(declaredLength - (isMultipart ? Self.multipartOverhead : 0)) }
        let videoId = VideoID.random()

        let query = request.uri.queryParameters
        // An empty value counts as absent (a form that left the field blank).
        func given(_ header: HTTPField.Name, _ name: String) -> String? {
            let value = VideoFields.headerText(request.headers[header]) ?? query.get(name)
            return value?.isEmpty == true ? nil : value
        }
        var fields = UploadFormFields(
            title: given(.clipcutTitle, "title"), description: given(.clipcutDescription, "description"),
            filename: given(.clipcutFilename, "filename"), burnSubtitles: given(.clipcutBurnSubtitles, "burnSubtitles"),
            language: given(.clipcutLanguage, "language"))
        // Validate what is already known before any byte is stored.
        if let title = fields.title { _ = try VideoFields.title(title) }
        if let description = fields.description { _ = try VideoFields.description(description) }
        _ = try VideoFields.flag(fields.burnSubtitles)
        _ = try VideoFields.speechLanguage(fields.language)

        let stored = try await dependencies.admission.receive(for: user.id) {
            try await receive(request, contentType: contentType, declaredLength: declaredLength, fields: &fields,
                              videoId: videoId, owner: user.id, allowance: allowance)
        }

        let filename = VideoFields.filename(fields.filename)
        let title: String
        let description: String
        let burnSubtitles: Bool
        let language: String?
        do {
            title = try fields.title.map(VideoFields.title) ?? VideoFields.defaultTitle(forFilename: filename)
            description = try fields.description.map(VideoFields.description) ?? ""
            burnSubtitles = try VideoFields.flag(fields.burnSubtitles)
            language = try VideoFields.speechLanguage(fields.language)
        } catch {
            try? await dependencies.storage.deleteSource(id: stored.file.id)
            throw error
        }
        let video = try await dependencies.register(
            videoId: videoId, owner: user.id, title: title, description: description, filename: filename,
            intake: stored.value, source: stored.file, burnSubtitles: burnSubtitles, speechLanguage: language)
        var response = jsonResponse(video, status: .created)
        response.headers[.location] = "/api/videos/\(video.id)"
        return response
    }

    /// Streams the body into GridFS: raw bytes, or the parts of a multipart form.
    private func receive(
        _ request: Request, contentType: String, declaredLength: Int64?, fields: inout UploadFormFields,
        videoId: VideoID, owner: UserID, allowance: UploadAllowance
    ) async throws -> (value: IntakeResult, file: StoredFile) {
        let body = dependencies.admission.body(of: request)
        if let boundary = MultipartReader.boundary(fromContentType: contentType) {
            let reader: MultipartReader
            do { reader = try MultipartReader(boundary: boundary) } catch { throw APIError.badRequest("The multipart boundary is invalid.") }
            return try await storeMultipart(body, reader: reader, fields: &fields, videoId: videoId, owner: owner, allowance: allowance)
        }
        guard Self.isRawVideoType(contentType) else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "Send the video as the body (Content-Type video/*) or as multipart/form-data with a file part.")
        }
        return try await dependencies.storage.storeSource(
            filename: VideoFields.filename(fields.filename), videoId: videoId, owner: owner
        ) { sink in
            let intake = SourceIntake(sink: sink, allowance: allowance)
            do {
                for try await buffer in body { try await intake.write(buffer) }
            } catch {
                throw Self.readFailure(error)
            }
            if let declaredLength, declaredLength != intake.size {
                throw APIError(.badRequest, code: "incomplete_upload", message: "The body ended before Content-Length bytes arrived.")
            }
            return try await intake.finish()
        }
    }

    /// What a client is told when reading its body failed.
    static func readFailure(_ error: any Error) -> any Error {
        switch error {
        case let error as APIError: error
        case let error as BodyIdleTimeout: error.apiError()
        case let error as MultipartError: APIError.badRequest("The multipart body is malformed: \(error.reason).")
        default: APIError.badRequest("The upload was interrupted.")
        }
    }

    /// Streams a multipart body: the `file` part into GridFS, the other fields into `fields`.
    private func storeMultipart(
        _ body: IdleLimitedSequence<RequestBody>, reader: MultipartReader, fields: inout UploadFormFields, videoId: VideoID, owner: UserID,
        allowance: UploadAllowance
    ) async throws -> (value: IntakeResult, file: StoredFile) {
        let collected = FormCollector(fields: fields)
        let result = try await dependencies.storage.storeSource(filename: "upload", videoId: videoId, owner: owner) { sink in
            let intake = SourceIntake(sink: sink, allowance: allowance)
            do {
                try await reader.read(body) { event in try await collected.handle(event, intake: intake) }
            } catch {
                throw Self.readFailure(error)
            }
            guard collected.sawFile else {
                throw APIError(.badRequest, code: "missing_file", message: "The form has no `file` part.")
            }
            return try await intake.finish()
        }
        fields = collected.fields
        return result
    }

    /// `video/*`, `application/octet-stream` (what many clients send for any file) and no type.
    static func isRawVideoType(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return type.hasPrefix("video/") || type == "application/octet-stream" || type.isEmpty
    }
}

/// Title, description and file name, from headers, the query or form fields.
struct UploadFormFields: Sendable {
    var title: String?
    var description: String?
    var filename: String?
    var burnSubtitles: String?
    /// The language spoken (`detect` or ISO 639-1).
    var language: String?
}

/// Sorts multipart events into the file part (streamed) and small text fields (collected).
final class FormCollector {
    private(set) var fields: UploadFormFields
    private(set) var sawFile = false
    private var currentName: String?
    private var currentValue: [UInt8] = []

    init(fields: UploadFormFields) {
        self.fields = fields
    }

    func handle(_ event: MultipartEvent, intake: SourceIntake) async throws {
        switch event {
        case .partStart(let headers):
            currentName = headers.name
            currentValue = []
            if headers.name == "file" {
                guard !sawFile else { throw APIError.badRequest("The form has more than one `file` part.") }
                sawFile = true
                if fields.filename == nil { fields.filename = headers.filename }
            }
        case .bytes(let buffer):
            if currentName == "file" {
                try await intake.write(buffer)
            } else {
                currentValue.append(contentsOf: buffer.readableBytesView)
                guard currentValue.count <= DirectUploadRoutes.maximumFieldBytes else {
                    throw APIError.badRequest("The form field `\(currentName ?? "")` is too large.")
                }
            }
        case .partEnd:
            let text = String(decoding: currentValue, as: UTF8.self)
            switch currentName {
            case "title": fields.title = text.isEmpty ? fields.title : try VideoFields.title(text)
            case "description": fields.description = try VideoFields.description(text)
            case "filename": fields.filename = text
            case "language":
                _ = try VideoFields.speechLanguage(text)
                fields.language = text
            case "burnSubtitles":
                _ = try VideoFields.flag(text)
                fields.burnSubtitles = text
            default: break
            }
            currentName = nil
            currentValue = []
        }
    }
}
