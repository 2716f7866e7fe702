import ClipCutCore
import Foundation
import Hummingbird
import MediaStore
import NIOCore
import ServiceSupport
import Synchronization

/// Resumable uploads with the tus 1.0 protocol at `/api/uploads` (core, creation,
/// termination, expiration).
///
/// Chunks go straight into the `uploads` GridFS bucket under the upload's file id; a partial
/// last chunk is stored too and rewritten by the next PATCH, so `Upload-Offset` always counts
/// bytes that are stored. When the last byte arrives the files document is written, the
/// SHA-256 computed from the stored bytes, and the video registered like a direct upload.
struct TusRoutes: Sendable {
    let dependencies: UploadServiceDependencies
    /// Uploads a PATCH is writing right now (one writer per upload in this process).
    let activeWrites = ActiveUploads()

    static let version = "1.0.0"

    func add(to router: Router<ClipCutRequestContext>) {
        router.group("api/uploads").add(middleware: TusResponseMiddleware()).on("", method: .options, use: options)
        let uploads = router.group("api/uploads").add(middleware: TusResponseMiddleware())
            .add(middleware: JWTAuthenticator<ClipCutRequestContext>(verifier: dependencies.verifier))
            .add(middleware: RequireAuthenticationMiddleware<ClipCutRequestContext>())
        uploads.post(use: create)
        uploads.get(use: UnfinishedUploads(repository: dependencies.tusUploads).list)
        uploads.on(":upload", method: .head, use: head)
        uploads.patch(":upload", use: patch)
        uploads.delete(":upload", use: terminate)
    }

    @Sendable func options(request: Request, context: ClipCutRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.tusVersion] = Self.version
        headers[.tusExtension] = "creation,termination,expiration"
        headers[.tusMaxSize] = String(dependencies.maximumUploadBytes)
        return Response(status: .noContent, headers: headers)
    }

    @Sendable func create(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        try Self.requireResumable(request)
        if request.headers[.uploadDeferLength] != nil {
            throw APIError.badRequest("Upload-Defer-Length is not supported: send Upload-Length.")
        }
        guard let lengthText = request.headers[.uploadLength], let length = Int64(lengthText), length >= 0 else {
            throw APIError.badRequest("Upload-Length must be a non-negative integer.")
        }
        guard length > 0 else { throw APIError(.badRequest, code: "empty_upload", message: "The upload is empty.") }
        try await dependencies.allowance(for: user.id).check(length)
        var metadata: [String: String] = [:]
        if let raw = request.headers[.uploadMetadata] {
            do { metadata = try TusMetadata.parse(raw) } catch { throw APIError.badRequest("Upload-Metadata is malformed: \(error.reason).") }
        }
        let filename = VideoFields.filename(metadata["filename"] ?? metadata["name"])
        let title = try metadata["title"].flatMap { $0.isEmpty ? nil : try VideoFields.title($0) }
        let description = try metadata["description"].map(VideoFields.description)
        _ = try VideoFields.speechLanguage(metadata["language"])  // kept in rawMetadata, read when it completes
        let now = Date()
        let upload = TusUpload(
            id: Self.newUploadID(), owner: user.id, videoId: .random(), fileID: dependencies.storage.newSourceID(),
            length: length, offset: 0, chunkSize: 255 * 1024, filename: filename, title: title, description: description,
            burnSubtitles: try VideoFields.flag(metadata["burnSubtitles"]),
            rawMetadata: request.headers[.uploadMetadata], createdAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(dependencies.tusExpiry.components.seconds)), completedVideo: nil)
        try await dependencies.tusUploads.insert(upload)
        var headers = HTTPFields()
        headers[.location] = "/api/uploads/\(upload.id)"
        headers[.uploadExpires] = HTTPDate.string(from: upload.expiresAt)
        headers[.clipcutVideoID] = upload.videoId.description
        return Response(status: .created, headers: headers)
    }

    @Sendable func head(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let upload = try await ownedUpload(request, context)
        var headers = HTTPFields()
        headers[.uploadOffset] = String(upload.offset)
        headers[.uploadLength] = String(upload.length)
        headers[.cacheControl] = "no-store"
        if upload.completedVideo == nil { headers[.uploadExpires] = HTTPDate.string(from: upload.expiresAt) }
        if let raw = upload.rawMetadata { headers[.uploadMetadata] = raw }
        headers[.clipcutVideoID] = upload.videoId.description
        return Response(status: .ok, headers: headers)
    }

    @Sendable func terminate(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let upload = try await ownedUpload(request, context)
        guard claim(upload.id) else { throw APIError.conflict("Another request is writing this upload.") }
        defer { release(upload.id) }
        if upload.completedVideo == nil {
            try await dependencies.storage.deleteSourceChunks(fileID: upload.fileID, from: 0)
        }
        try await dependencies.tusUploads.delete(id: upload.id)
        return Response(status: .noContent)
    }

    @Sendable func patch(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let upload = try await ownedUpload(request, context)
        let contentType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard contentType == "application/offset+octet-stream" else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "PATCH bodies must be application/offset+octet-stream.")
        }
        guard let offsetText = request.headers[.uploadOffset], let offset = Int64(offsetText), offset >= 0 else {
            throw APIError.badRequest("Upload-Offset must be a non-negative integer.")
        }
        if let finished = upload.completedVideo, offset == upload.length {
            // A repeated final PATCH (its answer was lost, or it went to another replica): the
            // upload is done, and the answer is the same as the first time.
            var headers = HTTPFields()
            headers[.uploadOffset] = String(upload.length)
            headers[.clipcutVideoID] = finished.description
            headers[.location] = "/api/videos/\(finished)"
            return Response(status: .noContent, headers: headers)
        }
        guard offset == upload.offset, upload.completedVideo == nil else {
            throw APIError(.conflict, code: "offset_mismatch", message: "Upload-Offset is \(offset) but the upload is at \(upload.offset).")
        }
        guard claim(upload.id) else { throw APIError.conflict("Another request is writing this upload.") }
        defer { release(upload.id) }
        if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > upload.length - offset {
            throw APIError(.badRequest, code: "exceeds_upload_length", message: "The body goes past Upload-Length.")
        }
        return try await dependencies.admission.receive(for: upload.owner) {
            try await receive(request, into: upload)
        }
    }

    /// Stores one PATCH body of `upload` from its offset on; whatever happens to the body, what
    /// was stored is kept and the offset advanced, so the client resumes from there.
    private func receive(_ request: Request, into upload: TusUpload) async throws -> Response {
        let writer = TusChunkWriter(upload: upload, storage: dependencies.storage)
        let expiresAt = Date().addingTimeInterval(TimeInterval(dependencies.tusExpiry.components.seconds))
        var failure: (any Error)?
        do {
            try await writer.load()
            for try await buffer in dependencies.admission.body(of: request) { try await writer.append(buffer) }
            try writer.checkContainer()
        } catch let error as APIError where error.status == .unsupportedMediaType {
            // Not a video: the upload can never succeed, so it goes now.
            try? await dependencies.storage.deleteSourceChunks(fileID: upload.fileID, from: 0)
            try? await dependencies.tusUploads.delete(id: upload.id)
            throw error
        } catch {
            // A broken connection or a failed write: keep what was stored; the client resumes from HEAD.
            failure = error
        }
        let stored = await writer.flush()
        guard try await dependencies.tusUploads.advance(id: upload.id, from: upload.offset, to: stored, expiresAt: expiresAt) else {
            throw APIError.conflict("The upload changed while this request wrote to it.")
        }
        var headers = HTTPFields()
        headers[.uploadOffset] = String(stored)
        headers[.clipcutVideoID] = upload.videoId.description
        if stored == upload.length {
            let video = try await complete(upload, writer: writer)
            headers[.location] = "/api/videos/\(video.id)"
        } else {
            headers[.uploadExpires] = HTTPDate.string(from: expiresAt)
        }
        if let failure {
            if let error = failure as? APIError { throw error }
            if let idle = failure as? BodyIdleTimeout {
                throw idle.apiError(message: "Resume from byte \(stored) (HEAD tells the offset).", headers: headers)
            }
            dependencies.logger.warning("tus PATCH ended early", metadata: ["upload": "\(upload.id)", "error": "\(failure)"])
            throw APIError.badRequest("The upload was interrupted at byte \(stored).")
        }
        return Response(status: .noContent, headers: headers)
    }

    /// How long a replica may take to finish an upload before another may take it over.
    static let completionLease: Duration = .seconds(600)

    /// Finishes an upload whose bytes are all stored: claims it (`receiving → completing`),
    /// writes the files document, hashes the stored bytes and registers the video, then marks it
    /// complete. Already complete: the same video. Being finished elsewhere: 409 with
    /// `Retry-After`. A failure that may pass (a database blip while hashing gigabytes) leaves
    /// every byte in place and the upload resumable (the final PATCH is sent again); only an
    /// upload that can never succeed (not a video, over quota) is removed, and never the source
    /// of a registered video.
    private func complete(_ upload: TusUpload, writer: TusChunkWriter) async throws -> Video {
        let uploads = dependencies.tusUploads, storage = dependencies.storage
        switch try await uploads.beginCompletion(id: upload.id, now: Date(), staleAfter: Self.completionLease) {
        case .complete(let videoId):
            guard let record = try await dependencies.repository.record(id: videoId) else { throw APIError.notFound("The video was deleted.") }
            return record.video
        case .inProgress:
            var headers = HTTPFields()
            headers[.retryAfter] = "2"
            throw APIError(.conflict, code: "upload_finishing", message: "The upload is being finished; ask again in a moment.", headers: headers)
        case .claimed:
            break
        }
        guard let container = writer.container else {
            try? await storage.deleteSourceChunks(fileID: upload.fileID, from: 0)
            try? await uploads.delete(id: upload.id)
            throw SourceIntake.unsupported
        }
        let video: Video
        do {
            let chunkCount = Int((upload.length + Int64(upload.chunkSize) - 1) / Int64(upload.chunkSize))
            try await storage.deleteSourceChunks(fileID: upload.fileID, from: chunkCount)
            let file: StoredFile
            do {
                file = try await storage.completeSource(
                    fileID: upload.fileID, length: Int(upload.length), chunkSize: upload.chunkSize, filename: upload.filename,
                    videoId: upload.videoId, owner: upload.owner)
            } catch MediaStoreError.duplicateKey {
                // An earlier attempt wrote the files document before it failed: the same file.
                guard let existing = try await storage.source(id: upload.fileID), existing.length == Int(upload.length) else { throw SourceIntake.unsupported }
                file = existing
            }
            var hasher = StreamingSHA256()
            try await storage.read(file, range: 0..<file.length) { hasher.update($0) }
            let intake = IntakeResult(container: container, size: upload.length, sha256: hasher.finalize())
            video = try await dependencies.register(
                videoId: upload.videoId, owner: upload.owner, title: upload.title ?? VideoFields.defaultTitle(forFilename: upload.filename),
                description: upload.description ?? "", filename: upload.filename, intake: intake, source: file,
                burnSubtitles: upload.burnSubtitles,
                speechLanguage: try? VideoFields.speechLanguage(upload.rawMetadata.flatMap { try? TusMetadata.parse($0) }?["language"]),
                excludingUpload: upload.id)
        } catch let error as APIError where error.status.code < 500 {
            // It can never succeed as it is (over quota, not a video): it goes, unless a video
            // already holds its source.
            if try await dependencies.repository.record(id: upload.videoId) == nil {
                try? await storage.deleteSource(id: upload.fileID)
                try? await storage.deleteSourceChunks(fileID: upload.fileID, from: 0)
                try? await uploads.delete(id: upload.id)
            }
            throw error
        } catch {
            try? await uploads.abandonCompletion(id: upload.id)
            dependencies.logger.warning("tus completion failed; the upload stays resumable", metadata: ["upload": "\(upload.id)", "error": "\(error)"])
            var headers = HTTPFields()
            headers[.retryAfter] = "5"
            throw APIError(
                .serviceUnavailable, code: "upload_not_finished",
                message: "Every byte is stored, but the upload could not be finished; send the last PATCH again.", headers: headers)
        }
        try await uploads.complete(id: upload.id, videoId: video.id)
        return video
    }

    private func ownedUpload(_ request: Request, _ context: ClipCutRequestContext) async throws -> TusUpload {
        let user = try context.requireUser()
        try Self.requireResumable(request)
        guard let id = context.parameters.get("upload"), Self.isUploadID(id),
              let upload = try await dependencies.tusUploads.upload(id: id), upload.owner == user.id
        else { throw APIError.notFound("No such upload.") }
        if upload.completedVideo == nil && upload.expiresAt < Date() {
            throw APIError(.gone, code: "gone", message: "The upload expired.")
        }
        return upload
    }

    private func claim(_ id: String) -> Bool { activeWrites.ids.withLock { $0.insert(id).inserted } }
    private func release(_ id: String) { _ = activeWrites.ids.withLock { $0.remove(id) } }

    static func requireResumable(_ request: Request) throws {
        guard request.headers[.tusResumable] == version else {
            var headers = HTTPFields()
            headers[.tusVersion] = version
            throw APIError(.preconditionFailed, code: "unsupported_tus_version", message: "Send Tus-Resumable: 1.0.0.", headers: headers)
        }
    }

    static func newUploadID() -> String {
        (0..<16).map { _ in UInt8.random(in: 0...255) }.hexEncoded
    }

    static func isUploadID(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

/// Adds `Tus-Resumable` to every response of the tus routes, errors included.
struct TusResponseMiddleware: RouterMiddleware {
    typealias Context = ClipCutRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("tus request failed", metadata: ["error": "\(error)"])
            response = APIError.internalError.makeResponse()
        }
        response.headers[.tusResumable] = TusRoutes.version
        return response
    }
}

/// The ids of uploads being written in this process.
final class ActiveUploads: Sendable {
    let ids = Mutex<Set<String>>([])
}
