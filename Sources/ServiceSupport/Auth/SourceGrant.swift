import ClipCutCore
import Crypto
import Foundation

/// A short-lived capability to read one video's source (upload-service's internal
/// `granted-source` route), or one of its media files (`granted-media/<path>`), without the
/// service token.
///
/// processing-service hands ffmpeg and ffprobe a URL carrying a grant instead of an
/// `Authorization` header: a command line is readable by anyone on the machine (`ps`), and what
/// it would show is access to one source for a few hours, not the token that opens every
/// internal route. The grant is `expires=<Unix seconds>&grant=<HMAC-SHA256>`, the MAC over the
/// video id and the expiry, keyed by the service token both services share.
public struct SourceGrant: Sendable, Equatable {
    /// The video whose source (or file) it opens.
    public var videoId: VideoID
    /// The media file it opens, relative to the video (`720p/video.mp4`); `nil`: the source.
    public var path: String?
    /// When it stops working, in Unix seconds.
    public var expires: Int64
    /// The MAC, base64url.
    public var signature: String

    /// A grant for `videoId`'s source, valid for `lifetime` from `now`, signed with `token`.
    public init(videoId: VideoID, path: String? = nil, lifetime: Duration, token: String, now: Date = Date()) {
        self.videoId = videoId
        self.path = path
        expires = Int64(now.timeIntervalSince1970) + lifetime.components.seconds
        signature = Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Self.message(videoId, path, expires), using: Self.key(token))))
    }

    /// The query string that carries it: `expires=…&grant=…`.
    public var query: String { "expires=\(expires)&grant=\(signature)" }

    /// Whether `expires` and `grant` (from a request's query) open `videoId`'s source at `now`:
    /// signed with `token`, for this video, not expired. Malformed values are simply `false`.
    /// `path`: the media file the request reads (`nil` for the source): a grant for one file
    /// opens no other.
    public static func isValid(
        videoId: VideoID, path: String? = nil, expires: String?, grant: String?, token: String, now: Date = Date()
    ) -> Bool {
        guard let expires, expires.utf8.count <= 20, let expiry = Int64(expires), let grant, grant.utf8.count <= 64,
              let mac = Base64URL.decode(Substring(grant)) else { return false }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message(videoId, path, expiry), using: key(token)) else { return false }
        return Double(expiry) > now.timeIntervalSince1970
    }

    private static func key(_ token: String) -> SymmetricKey { SymmetricKey(data: Array(token.utf8)) }

    /// Domain-separated, so a grant means nothing to any other MAC keyed by the same token.
    private static func message(_ videoId: VideoID, _ path: String?, _ expiry: Int64) -> Data {
        guard let path else { return Data("clipcut-source-grant\n\(videoId)\n\(expiry)".utf8) }
        return Data("clipcut-media-grant\n\(videoId)\n\(path)\n\(expiry)".utf8)
    }
}
