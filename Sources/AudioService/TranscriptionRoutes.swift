import Primitives
import Foundation
import Hummingbird
import Logging
import Metrics
import ServiceSupport
import Synchronization
import Whisper

/// `POST /v1/audio/transcriptions`, `POST /v1/audio/translations` and `GET /v1/models`, shaped
/// like OpenAI's API so its clients work unchanged. Which model ran, the language and how sure
/// its detection was come back in `ClipCut-Model`, `ClipCut-Language` and
/// `ClipCut-Language-Probability`; segments that are not speech are left out (``SpeechFilter``).
struct TranscriptionRoutes: Sendable {
    let models: SpeechModels
    let settings: AudioServiceSettings
    let decoder: AudioDecoder
    /// Decoded audio waiting for (or in) inference: at most a few requests hold their samples
    /// (up to ~230 MB for an hour) at once; the rest get 503 with Retry-After instead of
    /// exhausting memory.
    let admission: TranscriptionAdmission

    /// Names a client may ask for: the models' own and OpenAI's.
    var modelNames: [String] { models.names }

    func add(to router: Router<ClipCutRequestContext>) {
        let api = router.group("v1").add(middleware: ServiceTokenMiddleware(token: settings.serviceToken))
        api.get("models") { _, _ in modelList() }
        api.post("audio/transcriptions") { request, context in try await transcribe(request, context, task: .transcribe) }
        api.post("audio/translations") { request, context in try await transcribe(request, context, task: .translate) }
        router.get("v1/openapi.yaml") { _, _ in try OpenAPIDocument.service.response() }
    }

    struct ModelList: Encodable {
        struct Model: Encodable {
            var id: String
            var object = "model"
            var created: Int
            var owned_by = "clipcut"
        }

        var object = "list"
        var data: [Model]
    }

    func modelList() -> Response {
        jsonResponse(ModelList(data: modelNames.map { ModelList.Model(id: $0, created: 0) }))
    }

    func transcribe(_ request: Request, _ context: ClipCutRequestContext, task: WhisperTask) async throws -> Response {
        try models.checkReady()
        let form = try await TranscriptionForm.read(
            request, into: settings.temporaryDirectory, maximumFileBytes: settings.maximumUploadBytes
        )
        defer { form.removeFile() }
        guard let fileURL = form.fileURL else {
            throw APIError(.badRequest, code: "missing_file", message: "The form has no file part.")
        }
        let format = try ResponseFormat(rawValue: form.responseFormat ?? "json").orThrow(
            APIError.badRequest("response_format must be one of: \(ResponseFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        )
        if let model = form.model, !modelNames.contains(model) {
            throw APIError(.badRequest, code: "unknown_model", message: "Unknown model; this service has: \(modelNames.joined(separator: ", ")).")
        }
        if task == .translate, models.multilingual == nil { throw SpeechModels.noMultilingualModel }
        guard try models.supports(language: form.language) else { throw SpeechModels.unsupported(form.language ?? "") }
        guard admission.enter() else {
            var headers = HTTPFields()
            headers[.retryAfter] = "10"
            throw APIError(.serviceUnavailable, code: "busy", message: "Too many transcriptions are waiting; try again shortly.", headers: headers)
        }
        defer { admission.leave() }
        let samples = try await decode(fileURL, bytes: form.fileBytes, logger: context.logger)
        let started = ContinuousClock.now
        let model = form.model == "whisper-1" ? nil : form.model
        let plan = try await models.plan(for: samples, language: form.language, model: model, task: task)
        let heard = try await plan.transcriber.transcribe(samples, language: plan.language, task: task)
        let (transcript, dropped) = SpeechFilter().apply(to: heard, samples: samples)
        let elapsed = ContinuousClock.now - started
        record(audioSeconds: transcript.duration, elapsed: elapsed)
        context.logger.info("transcribed", metadata: [
            "audio_seconds": "\(transcript.duration)", "segments": "\(transcript.segments.count)", "not_speech": "\(dropped)",
            "model": "\(plan.modelName)", "language": "\(transcript.language)", "task": "\(task.rawValue)", "elapsed": "\(elapsed)",
        ])
        var response = try format.response(for: transcript, task: task, includeWords: form.timestampGranularities.contains("word"))
        response.headers[.clipcutModel] = plan.modelName
        response.headers[.clipcutLanguage] = transcript.language
        if let probability = plan.probability { response.headers[.clipcutLanguageProbability] = String(format: "%.3f", probability) }
        response.headers[.clipcutSegmentsDropped] = String(dropped)
        return response
    }

    private func decode(_ url: URL, bytes: Int, logger: Logger) async throws -> [Float] {
        guard bytes > 0 else {
            throw APIError(.unprocessableContent, code: "empty_file", message: "The file is empty.")
        }
        do {
            return try await decoder.decode(fileAt: url.path)
        } catch let error as AudioDecodingError {
            logger.info("audio refused", metadata: ["reason": "\(error)"])
            switch error {
            case .noAudioStream:
                throw APIError(.unprocessableContent, code: "no_audio_track", message: "The file has no audio track.")
            case .undecodable:
                throw APIError(.unsupportedMediaType, code: "unsupported_media", message: "The file is not audio or video that can be decoded, or it is damaged.")
            case .tooLong(let seconds, let limit):
                throw APIError(.contentTooLarge, code: "audio_too_long", message: String(format: "The audio is %.0f s long; the limit is %.0f s.", seconds, limit))
            }
        }
    }

    private func record(audioSeconds: Double, elapsed: Duration) {
        let seconds = elapsed.seconds
        Counter(label: "clipcut_transcriptions_total").increment()
        FloatingPointCounter(label: "clipcut_transcribed_audio_seconds_total").increment(by: audioSeconds)
        if audioSeconds > 0 {
            Recorder(label: "clipcut_transcription_real_time_factor", aggregate: true).record(seconds / audioSeconds)
        }
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> some Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

/// Counts transcriptions between decoding and the end of inference, refusing beyond a limit.
final class TranscriptionAdmission: Sendable {
    private let inFlight = Mutex(0)
    let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a place, or returns `false` when all are taken.
    func enter() -> Bool {
        inFlight.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() {
        inFlight.withLock { $0 -= 1 }
    }
}
