import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// Who may fetch a video's media, decided per request:
///
/// - the owner, by bearer token;
/// - anyone holding a valid playback token (`?token=`) for the video, where a private video
///   also needs the token to have been minted for its owner.
///
/// A bad or expired playback token is 401 (checked before the video is looked up, so it reveals
/// nothing); a video the caller may not see is 404, like one that does not exist.
struct MediaAccess: Sendable {
    let repository: any VideoRepository
    let tokens: PlaybackTokens
    /// The video and file lookups, from memory while the video's revision holds.
    let lookups: MediaLookups

    /// What a media request was granted: the video, the lookup to find its files under, and the
    /// playback token to put into URLs the response refers to.
    struct Grant: Sendable {
        var lookup: MediaLookups.Lookup
        var token: String
        var record: VideoRecord { lookup.record }
    }

    /// The video and the playback token to put into URLs the response refers to.
    func authorize(_ request: Request, _ context: ClipCutRequestContext) async throws -> Grant {
        guard let id = context.parameters.get("id").flatMap(VideoID.init) else { throw APIError.notFound("No such video.") }
        var grant: PlaybackGrant?
        if let token = request.uri.queryParameters.get("token") {
            guard let verified = tokens.verify(token, videoId: id) else {
                var error = APIError(.unauthorized, code: "invalid_playback_token", message: "The playback token is invalid or expired.")
                error.headers[.wwwAuthenticate] = #"Bearer error="invalid_token""#
                throw error
            }
            grant = verified
        }
        if grant == nil && context.identity == nil { throw APIError.unauthorized() }
        guard let lookup = try await lookups.record(id: id) else { throw APIError.notFound("No such video.") }
        let video = lookup.record.video
        if let user = context.identity, user.id == video.owner {
            return Grant(lookup: lookup, token: request.uri.queryParameters.get("token") ?? tokens.mint(videoId: id, subject: user.id).token)
        }
        guard let grant, let token = request.uri.queryParameters.get("token") else { throw APIError.notFound("No such video.") }
        if video.visibility == .private && grant.subject != video.owner { throw APIError.notFound("No such video.") }
        return Grant(lookup: lookup, token: String(token))
    }

    /// The video for `GET /playback`: the owner always, anyone for an unlisted video.
    func playbackVideo(_ context: ClipCutRequestContext) async throws -> Video {
        guard let id = context.parameters.get("id").flatMap(VideoID.init) else {
            throw context.identity == nil ? APIError.unauthorized() : APIError.notFound("No such video.")
        }
        guard let record = try await repository.record(id: id) else {
            if context.identity == nil { throw APIError.unauthorized() }
            throw APIError.notFound("No such video.")
        }
        let video = record.video
        if context.identity?.id == video.owner || video.visibility == .unlisted { return video }
        if context.identity == nil { throw APIError.unauthorized() }
        throw APIError.notFound("No such video.")
    }
}
