import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceSupport

/// The owner fixes the captions: `PUT /api/videos/{id}/captions/{language}` replaces (or adds) a
/// track with a WebVTT or SRT file, or with JSON `{"cues": [{start, end, text}]}` from the page's
/// editor; `DELETE` removes one. The track is stored for the player and HLS (the master's `subs`
/// group is updated), `video.captions` goes out (so search sees the new words), the video is
/// marked `captionEdited`, and processing-service is asked to re-mux the MP4 downloads.
struct CaptionEditRoutes: Sendable {
    let dependencies: UploadServiceDependencies

    func add(to group: RouterGroup<ClipCutRequestContext>) {
        group.put(":id/captions/:file", use: replace)
        group.delete(":id/captions/:file", use: remove)
    }

    /// What a PUT answers.
    struct TrackView: Codable, Sendable {
        var language: String
        var cues: Int
    }

    /// The cues the page's editor sends.
    struct EditedCues: Decodable {
        var cues: [CaptionCue]
    }

    @Sendable func replace(request: Request, context: ClipCutRequestContext) async throws -> Response {
        var video = try await readyVideo(context)
        let language = try Self.language(context)
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: CaptionFile.maximumBytes)
        } catch {
            throw APIError(.contentTooLarge, code: "captions_too_large", message: "A caption file may be at most \(CaptionFile.maximumBytes / 1024) KiB.")
        }
        let cues = try Self.cues(from: Array(bytes.readableBytesView), contentType: request.headers[.contentType], duration: video.durationSeconds)
        let store = CaptionTrackStore(storage: dependencies.storage, video: video)
        try await store.write(language: language, vtt: CaptionFile.webVTT(cues), isTranslation: language == "en" && video.captionLanguage != nil
                              && video.captionLanguage != "en" && video.captionTranslated == true)
        if video.captionState != .ready || video.captionLanguage == nil {
            video.captionLanguage = language
            video.captionTranslated = false
        }
        video.captionState = .ready
        video.captionFailureReason = nil
        try await finish(&video, store: store)
        context.logger.info("caption track replaced", metadata: ["videoId": "\(video.id)", "language": "\(language)", "cues": "\(cues.count)"])
        return jsonResponse(TrackView(language: language, cues: cues.count))
    }

    @Sendable func remove(request: Request, context: ClipCutRequestContext) async throws -> Response {
        var video = try await readyVideo(context)
        let language = try Self.language(context)
        let store = CaptionTrackStore(storage: dependencies.storage, video: video)
        guard try await store.delete(language: language) else { throw APIError.notFound("This video has no \(language) captions.") }
        let remaining = try await store.languages()
        if remaining.isEmpty {
            video.captionState = .noAudioTrack
            video.captionFailureReason = "the owner deleted the captions"
            video.captionTranslated = false
        } else if language == video.captionLanguage {
            video.captionLanguage = remaining.first
            video.captionTranslated = false
        } else if language == "en" {
            video.captionTranslated = false
        }
        try await finish(&video, store: store)
        context.logger.info("caption track deleted", metadata: ["videoId": "\(video.id)", "language": "\(language)"])
        return Response(status: .noContent)
    }

    /// Records the change, announces it (search follows) and asks for the MP4 re-mux.
    private func finish(_ video: inout Video, store: CaptionTrackStore) async throws {
        video.captionEdited = true
        _ = try await dependencies.repository.updateProcessing(video, expectedStatus: .ready)
        let original = video.captionState == .ready ? try await store.cues(language: video.captionLanguage ?? "en") : []
        let translation = video.captionTranslated == true ? try await store.cues(language: "en") : []
        try await dependencies.publication.publish(VideoCaptionsEvent(
            videoId: video.id, state: video.captionState ?? .noAudioTrack, language: video.captionLanguage ?? "en", cues: original,
            reason: video.captionFailureReason, model: video.captionModel, languageProbability: video.captionLanguageProbability,
            translation: translation, edited: true))
        try await dependencies.captionRemux.requestRemux(video.id)
    }

    private func readyVideo(_ context: ClipCutRequestContext) async throws -> Video {
        let user = try context.requireUser()
        guard let id = context.parameters.get("id").flatMap(VideoID.init),
              let record = try await dependencies.repository.record(id: id), record.video.owner == user.id
        else { throw APIError.notFound("No such video.") }
        guard record.video.status == .ready else {
            throw APIError(.conflict, code: "not_ready", message: "Captions can be changed once the video is ready.")
        }
        return record.video
    }

    /// The track's language from the path (`es` or `es.vtt`).
    static func language(_ context: ClipCutRequestContext) throws -> String {
        var text = context.parameters.get("file") ?? ""
        if text.hasSuffix(".vtt") { text.removeLast(4) }
        guard SpeechLanguages.codes.contains(text) else {
            throw APIError(.badRequest, code: "invalid_language", message: "The track must be named by an ISO 639-1 code Whisper knows (en, es, …).")
        }
        return text
    }

    /// The cues of an upload: JSON from the editor, else WebVTT or SRT text; 400 `invalid_captions` with the reason.
    static func cues(from bytes: [UInt8], contentType: String?, duration: Double?) throws -> [CaptionCue] {
        var file = bytes
        if contentType?.lowercased().hasPrefix("application/json") == true {
            guard let edited = try? JSONDecoder().decode(EditedCues.self, from: Data(bytes)) else {
                throw APIError(.badRequest, code: "invalid_captions", message: "The body must be {\"cues\": [{\"start\", \"end\", \"text\"}]}.")
            }
            file = Array(CaptionFile.webVTT(edited.cues).utf8)
            guard edited.cues.allSatisfy({ !$0.text.contains("<") && !$0.text.contains(">") }) else {
                throw APIError(.badRequest, code: "invalid_captions", message: "The captions were refused: cue text must be plain text, without markup.")
            }
        }
        do {
            return try CaptionFile.parse(file, duration: duration)
        } catch {
            throw APIError(.badRequest, code: "invalid_captions", message: "The captions were refused: \(error.description).")
        }
    }
}
