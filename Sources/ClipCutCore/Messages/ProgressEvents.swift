import Foundation

/// `video.progress`: live progress of the current stage.
///
/// Published on the pub/sub channel `clipcut:progress:<videoId>` (at most a few a second) and
/// appended to the capped stream `clipcut:log:<videoId>`, so a late viewer can replay it.
public typealias VideoProgressEvent = MessageEnvelope<VideoProgressPayload>

/// The fields of a ``VideoProgressEvent``.
public struct VideoProgressPayload: VideoMessagePayload {
    /// Always `video.progress`.
    public static let messageType = MessageType.videoProgress
    /// The video it is about.
    public var videoId: VideoID
    /// The stage running.
    public var stage: ProcessingStage
    /// The rung being worked on, if the stage works per rung.
    public var rung: String?
    /// The rungs this update's percent covers, when one process encodes several at once (the
    /// single-decode ladder encodes every rung in step).
    public var rungs: [String]?
    /// Progress of the stage, 0...100.
    public var percent: Double
    /// Frames encoded per second.
    public var fps: Double?
    /// Encoding speed as a multiple of real time (ffmpeg's `speed=`).
    public var speed: Double?
    /// Estimated seconds until the stage ends.
    public var etaSeconds: Double?
    /// A log line for the owner's console.
    public var logLine: String?
    /// Seconds of the video that play now (every rung in the HLS master has them); present once
    /// the video is `playable`, growing as segments are stored.
    public var playableSeconds: Double?
}

extension VideoProgressEvent {
    /// Creates the event at the current schema version.
    public init(
        videoId: VideoID,
        stage: ProcessingStage,
        rung: String? = nil,
        rungs: [String]? = nil,
        percent: Double,
        fps: Double? = nil,
        speed: Double? = nil,
        etaSeconds: Double? = nil,
        logLine: String? = nil,
        playableSeconds: Double? = nil,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        let payload = Payload(
            videoId: videoId, stage: stage, rung: rung, rungs: rungs, percent: percent, fps: fps, speed: speed,
            etaSeconds: etaSeconds, logLine: logLine, playableSeconds: playableSeconds)
        self.init(payload, at: at, eventId: eventId)
    }
}

/// `video.captions` on `clipcut:events`: the video's captions changed state.
public typealias VideoCaptionsEvent = MessageEnvelope<VideoCaptionsPayload>

/// The fields of a ``VideoCaptionsEvent``.
public struct VideoCaptionsPayload: VideoMessagePayload {
    /// Always `video.captions`.
    public static let messageType = MessageType.videoCaptions
    /// The video it is about.
    public var videoId: VideoID
    /// `ready`, `pending` (will be retried), `failed`, or `none` (no audio track).
    public var state: CaptionState
    /// Language of the track (ISO 639-1, e.g. `"en"`).
    public var language: String
    /// The transcript as timed cues when `state` is `ready` (for search); else empty.
    @EmptyIfMissing public var cues: [CaptionCue]
    /// Why captioning failed (`failed`), or why there are none (`none`: "no speech found").
    public var reason: String?
    /// The Whisper model that heard the speech (`tiny.en`, `base`).
    public var model: String?
    /// How sure the language detection was (0…1), when the language was detected.
    public var languageProbability: Double?
    /// The English translation as timed cues, when the speech is not English.
    @EmptyIfMissing public var translation: [CaptionCue]
    /// The owner changed the tracks (uploaded, edited or deleted one); absent: Whisper's own.
    public var edited: Bool?
    /// Seconds the transcription took per second of audio (below 1: faster than real time),
    /// when whisper.cpp heard the speech in this run.
    public var realTimeFactor: Double?
}

extension VideoCaptionsEvent {
    /// Creates the event at the current schema version.
    public init(
        videoId: VideoID,
        state: CaptionState,
        language: String,
        cues: [CaptionCue] = [],
        reason: String? = nil,
        model: String? = nil,
        languageProbability: Double? = nil,
        translation: [CaptionCue] = [],
        edited: Bool? = nil,
        realTimeFactor: Double? = nil,
        at: Date = Date(),
        eventId: UUID = UUID()
    ) {
        self.init(
            Payload(videoId: videoId, state: state, language: language, cues: cues, reason: reason, model: model,
                    languageProbability: languageProbability, translation: translation, edited: edited,
                    realTimeFactor: realTimeFactor),
            at: at, eventId: eventId)
    }
}

/// A stage of processing named in ``VideoProgressEvent``.
///
/// A string-backed value rather than a closed enum, so a consumer built before a new stage was
/// added still decodes the event.
public struct ProcessingStage: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The wire name, e.g. `"transcoding"`.
    public var rawValue: String

    /// Wraps a wire name.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps a wire name written as a literal.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    /// The wire name.
    public var description: String { rawValue }

    /// Decodes from a plain string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes as a plain string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Waiting in the queue.
    public static let queued: ProcessingStage = "queued"
    /// Reading the source's streams with ffprobe.
    public static let probing: ProcessingStage = "probing"
    /// Extracting 16 kHz mono audio for the transcriber.
    public static let extractingAudio: ProcessingStage = "extracting_audio"
    /// Speech to text in audio-service.
    public static let transcribing: ProcessingStage = "transcribing"
    /// Encoding the ladder.
    public static let transcoding: ProcessingStage = "transcoding"
    /// Remuxing into MP4 and HLS, poster and storyboard.
    public static let packaging: ProcessingStage = "packaging"
    /// Writing outputs to GridFS.
    public static let storing: ProcessingStage = "storing"
}

/// One timed line of a transcript.
public struct CaptionCue: Codable, Hashable, Sendable {
    /// Start in seconds from the beginning of the video.
    public var start: Double
    /// End in seconds from the beginning of the video.
    public var end: Double
    /// The words spoken.
    public var text: String

    /// Creates a cue.
    public init(start: Double, end: Double, text: String) {
        self.start = start
        self.end = end
        self.text = text
    }
}
