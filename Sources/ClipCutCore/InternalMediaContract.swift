/// The contract between processing-service and upload-service's internal routes (only
/// upload-service touches GridFS; processing-service reads documents and sources and writes
/// derived media through it, with the service token):
///
/// - `GET <root>/<id>`: the ``VideoSnapshot``.
/// - `GET <root>/<id>/source`: the uploaded source, streamed (byte ranges too).
/// - `GET <root>/<id>/granted-source?expires=&grant=`: the same without the service token, for a
///   ``SourceGrant`` (what ffmpeg is given: a URL that opens one source for a while).
/// - `PUT <root>/<id>/media/<path>?quality=&width=&height=&bitrate=`: stores a derived file as the
///   media name `<id>/<path>` (a ``MediaLayout`` name); answers 201 with a ``StoredMediaReceipt``.
/// - `GET <root>/<id>/media/<path>`: reads one back.
/// - `DELETE <root>/<id>/media`: deletes every derived file of the video.
///
/// Both sides build these paths here and nowhere else.
public enum InternalMediaContract {
    /// The routes' prefix, without a leading slash.
    public static let root = "internal/videos"
    /// The metadata a stored media file may carry (query parameters of the PUT).
    public static let metadataKeys = ["quality", "width", "height", "bitrate"]

    /// `/internal/videos/<id>`.
    public static func videoPath(_ id: VideoID) -> String { "/\(root)/\(id)" }

    /// `/internal/videos/<id>/source`.
    public static func sourcePath(_ id: VideoID) -> String { videoPath(id) + "/source" }

    /// `/internal/videos/<id>/granted-source`: the source for a ``SourceGrant`` in the query.
    public static func grantedSourcePath(_ id: VideoID) -> String { videoPath(id) + "/granted-source" }

    /// `/internal/videos/<id>/granted-media/<path>`: one media file with a grant instead of the
    /// token (GET, byte ranges), for ffmpeg reading a rendition (a clip's cut).
    public static func grantedMediaPath(_ id: VideoID, path: String) -> String { videoPath(id) + "/granted-media/" + path }

    /// `/internal/videos/<id>/media`: every derived file of the video (DELETE).
    public static func allMediaPath(_ id: VideoID) -> String { videoPath(id) + "/media" }

    /// The path of the media file named `name` (`<id>/<path>`, as ``MediaLayout`` names it):
    /// `/internal/videos/<id>/media/<path>`; `nil` when `name` does not start with a video id.
    public static func mediaPath(named name: String) -> String? {
        guard let slash = name.firstIndex(of: "/"), let id = VideoID(String(name[..<slash])) else { return nil }
        return allMediaPath(id) + name[slash...]
    }
}

/// What processing-service needs of a video (upload-service owns and writes the document).
public struct VideoSnapshot: Codable, Sendable, Equatable {
    public var id: VideoID
    public var owner: UserID
    public var status: VideoStatus
    public var burnSubtitles: Bool
    /// The language the uploader said is spoken; `nil`: detect it.
    public var speechLanguage: String?
    /// The stored renditions (`720p`, …), best first.
    public var renditions: [String]?
    /// The stored caption tracks, the speech's own language first.
    public var captionTracks: [StoredCaptionTrack]?
    /// The owner changed the tracks since Whisper wrote them: a late caption retry leaves them.
    public var captionEdited: Bool?
    /// The source's container as upload-service recognised it at upload (``VideoContainer``'s raw
    /// value); `nil` for a document that predates it.
    public var container: String?
    /// Set on a clip: what to cut it from (its renditions are made from the source video's).
    public var clipOf: ClipOrigin?

    /// A snapshot.
    public init(
        id: VideoID, owner: UserID, status: VideoStatus, burnSubtitles: Bool, speechLanguage: String? = nil,
        renditions: [String]? = nil, captionTracks: [StoredCaptionTrack]? = nil, captionEdited: Bool? = nil, container: String? = nil,
        clipOf: ClipOrigin? = nil
    ) {
        self.clipOf = clipOf
        self.id = id
        self.owner = owner
        self.status = status
        self.burnSubtitles = burnSubtitles
        self.speechLanguage = speechLanguage
        self.renditions = renditions
        self.captionTracks = captionTracks
        self.captionEdited = captionEdited
        self.container = container
    }
}

/// A caption track upload-service holds for a video.
public struct StoredCaptionTrack: Codable, Sendable, Equatable {
    public var language: String
    /// What a player's menu shows.
    public var label: String

    /// A track.
    public init(language: String, label: String) {
        self.language = language
        self.label = label
    }
}

/// upload-service's answer to a stored media file.
public struct StoredMediaReceipt: Codable, Sendable, Equatable {
    public var name: String
    public var length: Int

    /// A receipt.
    public init(name: String, length: Int) {
        self.name = name
        self.length = length
    }
}
