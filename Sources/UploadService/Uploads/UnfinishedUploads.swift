import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// `GET /api/uploads`: the caller's resumable uploads that are neither complete nor expired, so
/// a page reloaded mid-upload (or another device) can offer "choose the same file to resume" from
/// the stored offset, or discard one (`DELETE /api/uploads/{id}`, tus termination).
struct UnfinishedUploads: Sendable {
    let repository: any TusUploadRepository

    /// One unfinished upload.
    struct Entry: Codable, Sendable, Equatable {
        var id: String
        /// Its tus URL, for `HEAD`, `PATCH` and `DELETE`.
        var location: String
        var videoId: VideoID
        var filename: String
        var title: String?
        /// `Upload-Length`.
        var length: Int64
        /// Bytes stored so far.
        var offset: Int64
        var createdAt: Date
        var expiresAt: Date
        /// What the page computed of the file when it began (`fingerprint` in `Upload-Metadata`:
        /// 64 hex digits), so another file of the same name and size is not appended to it.
        var fingerprint: String?
    }

    struct Listing: Codable, Sendable {
        var uploads: [Entry]
    }

    /// The `fingerprint` of an upload's metadata, when it is one (64 lowercase hex digits).
    static func fingerprint(in metadata: String?) -> String? {
        guard let metadata, let value = try? TusMetadata.parse(metadata)["fingerprint"], value.utf8.count == 64,
              value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        return value
    }

    @Sendable func list(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let uploads = try await repository.unfinished(owner: user.id, now: Date())
        return jsonResponse(Listing(uploads: uploads.map {
            Entry(
                id: $0.id, location: "/api/uploads/\($0.id)", videoId: $0.videoId, filename: $0.filename, title: $0.title,
                length: $0.length, offset: $0.offset, createdAt: $0.createdAt, expiresAt: $0.expiresAt,
                fingerprint: Self.fingerprint(in: $0.rawMetadata))
        }))
    }
}
