import Logging
import ServiceLifecycle
import ServiceSupport
import Whisper

/// Which model runs for which speech: English goes to the English-only model (tiny.en: fast),
/// every other language to the multilingual one (base). When the caller does not say which
/// language, the multilingual model listens to the first 30 s and decides.
struct SpeechModels: Sendable {
    /// The English-only model and its name (`tiny.en`).
    let english: ModelHolder
    let englishName: String
    /// The multilingual model and its name (`base`), if one is configured.
    let multilingual: ModelHolder?
    let multilingualName: String?

    /// What runs one request: the transcriber, its name, the language and, when detected, how
    /// sure the detection was.
    struct Plan: Sendable {
        var transcriber: WhisperTranscriber
        var modelName: String
        var language: String
        var probability: Double?
    }

    /// The holders, for the service group.
    var services: [any Service] { [english] + (multilingual.map { [$0] } ?? []) }

    /// Every name a client may ask for: the models' own and OpenAI's.
    var names: [String] { [englishName] + (multilingualName.map { [$0] } ?? []) + ["whisper-1"] }

    /// For `/ready`: every configured model is loaded.
    func checkReady() throws {
        try english.checkReady()
        try multilingual?.checkReady()
    }

    /// Whether some model can take speech in `language` (`auto` or `nil`: detect).
    func supports(language: String?) throws -> Bool {
        guard let language, language != "auto" else { return true }
        if language == "en" { return true }
        guard let multilingual else { return false }
        return try multilingual.transcriber().supports(language: language)
    }

    /// Chooses the model for `samples`. `model` may name one model to use it whatever the
    /// language (`tiny.en` or `base`); `whisper-1` or `nil` lets the language decide. Without a
    /// language (or `auto`) the multilingual model detects it on the first 30 s.
    /// - Throws: 400 `unsupported_language` when no loaded model knows the language,
    ///   `unsupported_task` when translation is asked of a service without a multilingual model.
    func plan(for samples: [Float], language requested: String?, model: String?, task: WhisperTask) async throws -> Plan {
        let multilingualModel = try multilingual?.transcriber()
        let detect = requested == nil || requested == "auto"
        if task == .transcribe, model == englishName || multilingualModel == nil {
            guard detect || requested == "en" else { throw Self.unsupported(requested ?? "") }
            return Plan(transcriber: try english.transcriber(), modelName: englishName, language: "en")
        }
        guard let multilingualModel, let multilingualName else { throw Self.noMultilingualModel }
        var language = requested ?? "auto"
        var probability: Double?
        if detect {
            let guess = try await multilingualModel.detectLanguage(samples)
            language = guess.language
            probability = guess.probability
        } else if !multilingualModel.supports(language: language) {
            throw Self.unsupported(language)
        }
        if language == "en", task == .transcribe, model != multilingualName {
            return Plan(transcriber: try english.transcriber(), modelName: englishName, language: "en", probability: probability)
        }
        return Plan(transcriber: multilingualModel, modelName: multilingualName, language: language, probability: probability)
    }

    static let noMultilingualModel = APIError(
        .badRequest, code: "unsupported_task", message: "This service has no multilingual model (CLIPCUT_WHISPER_MULTILINGUAL_MODEL).")

    static func unsupported(_ language: String) -> APIError {
        APIError(.badRequest, code: "unsupported_language", message: "No model of this service transcribes language \"\(language)\".")
    }
}
