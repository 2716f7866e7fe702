import ClipCutCore
import Crypto
import Foundation
import ServiceSupport

/// A verified playback token: who it was minted for and until when.
struct PlaybackGrant: Sendable, Equatable {
    /// The video it opens.
    var videoId: VideoID
    /// The user it was minted for; `nil` for an anonymous viewer of an unlisted video.
    var subject: UserID?
    /// When it stops working.
    var expiresAt: Date
}

/// Mints and checks the short-lived tokens that media URLs carry in `?token=` (a `<video>`
/// element cannot send an `Authorization` header).
///
/// A token is `<expiry>.<subject>.<mac>`: the expiry in Unix seconds, the user id or `anon`,
/// and an HMAC-SHA256 over the video id, subject and expiry with the service's secret. It is
/// bound to one video; it carries no secret and reveals only the subject's id.
struct PlaybackTokens: Sendable {
    private let key: SymmetricKey
    /// How long minted tokens live.
    let lifetime: Duration

    init(secret: [UInt8], lifetime: Duration) {
        self.key = SymmetricKey(data: secret)
        self.lifetime = lifetime
    }

    /// A token for `videoId` and `subject`, valid for ``lifetime`` from `now`.
    func mint(videoId: VideoID, subject: UserID?, now: Date = Date()) -> (token: String, expiresAt: Date) {
        let expiry = Int64(now.timeIntervalSince1970) + lifetime.components.seconds
        let subjectText = subject?.description ?? "anon"
        let mac = HMAC<SHA256>.authenticationCode(for: Self.message(videoId, subjectText, expiry), using: key)
        return ("\(expiry).\(subjectText).\(Base64URL.encode(Data(mac)))", Date(timeIntervalSince1970: TimeInterval(expiry)))
    }

    /// The grant a token carries for `videoId`, or `nil` when it is malformed, forged, for
    /// another video, or expired.
    func verify(_ token: String, videoId: VideoID, now: Date = Date()) -> PlaybackGrant? {
        guard token.utf8.count <= 200 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int64(parts[0]), let mac = Base64URL.decode(parts[2]) else { return nil }
        let subjectText = String(parts[1])
        let subject: UserID?
        if subjectText == "anon" {
            subject = nil
        } else {
            guard let parsed = UserID(subjectText) else { return nil }
            subject = parsed
        }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Self.message(videoId, subjectText, expiry), using: key) else {
            return nil
        }
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(expiry))
        guard expiresAt > now else { return nil }
        return PlaybackGrant(videoId: videoId, subject: subject, expiresAt: expiresAt)
    }

    private static func message(_ videoId: VideoID, _ subject: String, _ expiry: Int64) -> Data {
        Data("clipcut-playback:v1|\(videoId)|\(subject)|\(expiry)".utf8)
    }
}
