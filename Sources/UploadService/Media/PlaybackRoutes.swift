import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// `GET /api/videos/:id/playback`: signed, expiring URLs for everything playable of a video.
struct PlaybackRoutes: Sendable {
    let dependencies: UploadServiceDependencies
    let access: MediaAccess

    /// One rendition the player can pick.
    struct RenditionLink: Codable, Sendable, Equatable {
        var quality: String
        var width: Int?
        var height: Int?
        var bitrate: Int?
        var size: Int
        var url: String
    }

    /// A caption track: the speech's own language, or its English translation.
    struct CaptionLink: Codable, Sendable, Equatable {
        var language: String
        var url: String
        /// What a menu shows: "Spanish", "English (translation)".
        var label: String
        /// `captions` (the words spoken) or `translation`.
        var kind: String
    }

    /// The storyboard: a sprite and the WebVTT mapping times to its regions.
    struct StoryboardLink: Codable, Sendable, Equatable {
        var image: String
        var track: String
    }

    /// The response.
    struct Playback: Codable, Sendable {
        var videoId: VideoID
        var status: VideoStatus
        var title: String
        var durationSeconds: Double?
        var token: String
        var expiresAt: Date
        /// Best first.
        var renditions: [RenditionLink]
        var hls: String?
        var captions: [CaptionLink]
        /// Why there are no captions, when there are none: `none` (no speech track), `pending`, `failed`.
        var captionState: CaptionState?
        var captionFailureReason: String?
        /// The language spoken, the model that heard it and how sure its detection was.
        var captionLanguage: String?
        var captionModel: String?
        var captionLanguageProbability: Double?
        var captionTranslated: Bool?
        /// Whether the owner changed the tracks since Whisper wrote them.
        var captionEdited: Bool?
        var poster: String?
        var storyboard: StoryboardLink?
    }

    func add(to group: RouterGroup<ClipCutRequestContext>) {
        group.get(":id/playback", use: playback)
    }

    @Sendable func playback(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let video = try await access.playbackVideo(context)
        let (token, expiresAt) = dependencies.playbackTokens.mint(videoId: video.id, subject: context.identity?.id)
        let base = "/api/videos/\(video.id)"
        func url(_ path: String) -> String { "\(base)/\(path)?token=\(token)" }

        let files = try await dependencies.storage.mediaFiles(of: video.id)
        let prefix = "\(video.id)/"
        var renditions: [RenditionLink] = []
        var captions: [CaptionLink] = []
        var names = Set<String>()
        for file in files where file.name.hasPrefix(prefix) {
            let path = String(file.name.dropFirst(prefix.count))
            names.insert(path)
            let parts = path.split(separator: "/")
            if parts.count == 2, parts[1] == "video.mp4", MediaLayout.isQualityName(String(parts[0])) {
                let quality = String(parts[0])
                guard !renditions.contains(where: { $0.quality == quality }) else { continue }
                let known = video.renditions.first { $0.quality == quality }
                renditions.append(RenditionLink(
                    quality: quality, width: file.metadata["width"].flatMap(Int.init) ?? known?.width,
                    height: file.metadata["height"].flatMap(Int.init) ?? known?.height,
                    bitrate: file.metadata["bitrate"].flatMap(Int.init) ?? known?.bitrate,
                    size: file.length, url: url("renditions/\(quality).mp4")))
            } else if parts.count == 2, parts[0] == "captions", parts[1].hasSuffix(".vtt") {
                let language = String(parts[1].dropLast(4))
                if MediaRoutes.isLanguageCode(language), !captions.contains(where: { $0.language == language }) {
                    // The English track of speech in another language is its translation.
                    let translation = video.captionTranslated == true && language == "en" && video.captionLanguage != "en"
                    let name = Locale(identifier: "en").localizedString(forLanguageCode: language) ?? language
                    captions.append(CaptionLink(
                        language: language, url: url("captions/\(language).vtt"),
                        label: translation ? "\(name) (translation)" : name, kind: translation ? "translation" : "captions"))
                }
            }
        }
        renditions.sort { (Int($0.quality.dropLast()) ?? 0) > (Int($1.quality.dropLast()) ?? 0) }
        // The speech's own language first, then the translation, then the rest.
        captions.sort { ($0.kind == "translation" ? 1 : 0, $0.language) < ($1.kind == "translation" ? 1 : 0, $1.language) }
        let playback = Playback(
            videoId: video.id, status: video.status, title: video.title, durationSeconds: video.durationSeconds,
            token: token, expiresAt: expiresAt, renditions: renditions,
            hls: names.contains("hls/master.m3u8") ? url("hls/master.m3u8") : nil, captions: captions,
            captionState: video.captionState, captionFailureReason: video.captionFailureReason,
            captionLanguage: video.captionLanguage, captionModel: video.captionModel,
            captionLanguageProbability: video.captionLanguageProbability, captionTranslated: video.captionTranslated,
            captionEdited: video.captionEdited,
            poster: names.contains("poster.jpg") ? url("poster.jpg") : nil,
            storyboard: names.contains("storyboard.jpg") && names.contains("storyboard.vtt")
                ? StoryboardLink(image: url("storyboard.jpg"), track: url("storyboard.vtt")) : nil)
        var response = jsonResponse(playback)
        response.headers[.cacheControl] = "private, no-store"
        return response
    }
}
