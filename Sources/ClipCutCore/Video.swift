import Foundation

/// Who may watch a video besides its owner.
public enum VideoVisibility: String, Codable, Sendable, CaseIterable {
    /// Only the owner.
    case `private`
    /// Anyone holding a playback link the owner shared.
    case unlisted
}

/// The state of a video's captions.
public enum CaptionState: String, Codable, Sendable, CaseIterable {
    /// Captions are stored and referenced from the HLS master and the MP4 downloads.
    case ready
    /// Not done yet (transcription still running, or audio-service was unavailable and a retry is due).
    case pending
    /// Transcription failed for good (audio-service refused the speech, or every retry failed).
    case failed
    /// The source has no audio track: there is nothing to caption ("no speech track"). On the
    /// wire `none`; named so that it cannot be mistaken for `Optional.none`.
    case noAudioTrack = "none"
}

/// Where a clip was cut from: its source video and the range, in seconds of the source.
public struct ClipOrigin: Codable, Hashable, Sendable {
    /// The video the clip was cut from (it may have been deleted since: the clip owns its media).
    public var videoId: VideoID
    /// Start of the range in the source, in seconds.
    public var from: Double
    /// End of the range in the source, in seconds (exclusive).
    public var to: Double

    /// A clip's origin.
    public init(videoId: VideoID, from: Double, to: Double) {
        self.videoId = videoId
        self.from = from
        self.to = to
    }
}

/// One encoded quality of a video (a rung of the ladder).
public struct Rendition: Codable, Hashable, Sendable {
    /// The rung's name, by the picture's short side: `"1080p"`, `"720p"`, `"480p"`, `"360p"`,
    /// or `"<n>p"` for a source below 360p.
    public var quality: String
    /// Width in pixels (even).
    public var width: Int
    /// Height in pixels (even).
    public var height: Int
    /// Peak video bit rate in bits per second, if known.
    public var bitrate: Int?
    /// Size of the progressive MP4 in bytes, if known.
    public var size: Int64?

    /// Creates a rendition description.
    public init(quality: String, width: Int, height: Int, bitrate: Int? = nil, size: Int64? = nil) {
        self.quality = quality
        self.width = width
        self.height = height
        self.bitrate = bitrate
        self.size = size
    }
}

/// A video as stored in the `videos` collection and returned by upload-service.
///
/// Dates are normalised to whole milliseconds (see ``JSONCoding``) so a document survives a JSON
/// round trip unchanged. Fields added after the first version decode with defaults when absent.
public struct Video: Codable, Hashable, Sendable, Identifiable {
    /// The video's id.
    public var id: VideoID
    /// The user who uploaded it.
    public var owner: UserID
    /// Title shown in listings (set by the owner).
    public var title: String
    /// Free-text description (may be empty).
    public var description: String
    /// The original file name as uploaded.
    public var filename: String
    /// Size of the source in bytes.
    public var size: Int64
    /// Lowercase hex SHA-256 of the source bytes.
    public var sha256: String
    /// The source's media type as uploaded, e.g. `video/mp4`.
    public var contentType: String
    /// Where the video is in its life (see ``VideoStatus``).
    public var status: VideoStatus
    /// Who may watch it besides the owner.
    public var visibility: VideoVisibility
    /// When the upload finished.
    public var createdAt: Date
    /// When anything in the document last changed.
    public var updatedAt: Date
    /// Why processing failed, in words the owner can read; set only when `status == .failed`.
    public var failureReason: String?
    /// When the video became `playable` (its first HLS segments stored), if it went through that stage.
    public var playableAt: Date?
    /// Duration of the source in seconds, once probed.
    public var durationSeconds: Double?
    /// Width of the source picture as displayed (rotation applied), once probed.
    public var sourceWidth: Int?
    /// Height of the source picture as displayed (rotation applied), once probed.
    public var sourceHeight: Int?
    /// The encoded renditions, best first; empty until some are stored.
    public var renditions: [Rendition]
    /// State of the captions, once transcription has started.
    public var captionState: CaptionState?
    /// Language of the caption track (BCP-47 / ISO 639-1, e.g. `"en"`), once known.
    public var captionLanguage: String?
    /// Why captioning failed, for the owner, when ``captionState`` is `failed` (and the reason is
    /// known), or why there are none (`none`: "no speech found").
    public var captionFailureReason: String?
    /// The Whisper model that heard the speech (`tiny.en`, `base`).
    public var captionModel: String?
    /// How sure the language detection was (0…1); absent when the uploader named the language.
    public var captionLanguageProbability: Double?
    /// Whether an English translation track exists (the speech is in another language).
    public var captionTranslated: Bool?
    /// The language the uploader said is spoken (ISO 639-1); `nil`: detected.
    public var speechLanguage: String?
    /// Whether the owner replaced, edited or deleted a caption track since Whisper wrote it.
    public var captionEdited: Bool?
    /// Whether the owner asked for the captions to be rendered into the picture.
    public var burnSubtitles: Bool
    /// Set on a clip: the video and range it was cut from.
    public var clipOf: ClipOrigin?

    /// Creates a video document; a new upload starts as `uploaded` and `private`.
    public init(
        id: VideoID = .random(),
        owner: UserID,
        title: String,
        description: String = "",
        filename: String,
        size: Int64,
        sha256: String,
        contentType: String,
        status: VideoStatus = .uploaded,
        visibility: VideoVisibility = .private,
        createdAt: Date = Date(),
        updatedAt: Date? = nil,
        failureReason: String? = nil,
        durationSeconds: Double? = nil,
        sourceWidth: Int? = nil,
        sourceHeight: Int? = nil,
        renditions: [Rendition] = [],
        captionState: CaptionState? = nil,
        captionLanguage: String? = nil,
        captionFailureReason: String? = nil,
        burnSubtitles: Bool = false
    ) {
        self.id = id
        self.owner = owner
        self.title = title
        self.description = description
        self.filename = filename
        self.size = size
        self.sha256 = sha256
        self.contentType = contentType
        self.status = status
        self.visibility = visibility
        self.createdAt = JSONCoding.normalized(createdAt)
        self.updatedAt = JSONCoding.normalized(updatedAt ?? createdAt)
        self.failureReason = failureReason
        self.durationSeconds = durationSeconds
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.renditions = renditions
        self.captionState = captionState
        self.captionLanguage = captionLanguage
        self.captionFailureReason = captionFailureReason
        self.burnSubtitles = burnSubtitles
    }

    /// Moves the video to `next` if the state machine allows it, updating `updatedAt`.
    ///
    /// - Parameters:
    ///   - next: The new status.
    ///   - at: When the change happened.
    ///   - failureReason: Stored when `next` is `.failed`; ignored otherwise.
    /// - Throws: ``InvalidStatusTransition`` if `status` cannot move to `next`.
    public mutating func transition(to next: VideoStatus, at: Date = Date(), failureReason: String? = nil) throws {
        guard status.canTransition(to: next) else {
            throw InvalidStatusTransition(from: status, to: next)
        }
        status = next
        updatedAt = JSONCoding.normalized(at)
        if next == .failed {
            self.failureReason = failureReason ?? "processing failed"
        }
        if next == .playable { playableAt = updatedAt }
    }

    private enum CodingKeys: String, CodingKey {
        case id, owner, title, description, filename, size, sha256, contentType, status, visibility
        case createdAt, updatedAt, failureReason, playableAt, durationSeconds, sourceWidth, sourceHeight
        case renditions, captionState, captionLanguage, captionFailureReason, burnSubtitles
        case captionModel, captionLanguageProbability, captionTranslated, speechLanguage, captionEdited, clipOf
    }

    /// Decodes a video; `description`, `visibility`, `updatedAt`, `renditions` and `burnSubtitles` default when absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(VideoID.self, forKey: .id)
        owner = try c.decode(UserID.self, forKey: .owner)
        title = try c.decode(String.self, forKey: .title)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        filename = try c.decode(String.self, forKey: .filename)
        size = try c.decode(Int64.self, forKey: .size)
        sha256 = try c.decode(String.self, forKey: .sha256)
        contentType = try c.decode(String.self, forKey: .contentType)
        status = try c.decode(VideoStatus.self, forKey: .status)
        visibility = try c.decodeIfPresent(VideoVisibility.self, forKey: .visibility) ?? .private
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decodeIfPresent(Date.self, forKey: .updatedAt) ?? createdAt
        failureReason = try c.decodeIfPresent(String.self, forKey: .failureReason)
        playableAt = try c.decodeIfPresent(Date.self, forKey: .playableAt)
        durationSeconds = try c.decodeIfPresent(Double.self, forKey: .durationSeconds)
        sourceWidth = try c.decodeIfPresent(Int.self, forKey: .sourceWidth)
        sourceHeight = try c.decodeIfPresent(Int.self, forKey: .sourceHeight)
        renditions = try c.decodeIfPresent([Rendition].self, forKey: .renditions) ?? []
        captionState = try c.decodeIfPresent(CaptionState.self, forKey: .captionState)
        captionLanguage = try c.decodeIfPresent(String.self, forKey: .captionLanguage)
        captionFailureReason = try c.decodeIfPresent(String.self, forKey: .captionFailureReason)
        burnSubtitles = try c.decodeIfPresent(Bool.self, forKey: .burnSubtitles) ?? false
        captionModel = try c.decodeIfPresent(String.self, forKey: .captionModel)
        captionLanguageProbability = try c.decodeIfPresent(Double.self, forKey: .captionLanguageProbability)
        captionTranslated = try c.decodeIfPresent(Bool.self, forKey: .captionTranslated)
        speechLanguage = try c.decodeIfPresent(String.self, forKey: .speechLanguage)
        captionEdited = try c.decodeIfPresent(Bool.self, forKey: .captionEdited)
        clipOf = try c.decodeIfPresent(ClipOrigin.self, forKey: .clipOf)
    }
}
