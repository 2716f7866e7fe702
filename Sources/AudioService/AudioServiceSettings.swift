import ClipCutCore
import Foundation
import ServiceSupport

extension ConfigKey {
    /// audio-service: the ggml Whisper model file.
    static let whisperModel = ConfigKey(
        "CLIPCUT_WHISPER_MODEL", summary: "audio-service: path of the ggml Whisper model (scripts/bootstrap converts tiny.en).",
        defaultValue: ".deps/models/ggml-tiny.en.bin")
    /// audio-service: the multilingual ggml Whisper model.
    static let whisperMultilingualModel = ConfigKey(
        "CLIPCUT_WHISPER_MULTILINGUAL_MODEL",
        summary: "audio-service: path of the multilingual ggml Whisper model that detects the language and transcribes all but English (empty: English only).",
        defaultValue: ".deps/models/ggml-base.bin")
    /// audio-service: transcriptions run at once; more wait their turn.
    static let whisperJobs = ConfigKey("CLIPCUT_WHISPER_JOBS", summary: "audio-service: transcriptions run at once.", defaultValue: "1")
    /// audio-service: whisper.cpp threads per transcription.
    static let whisperThreads = ConfigKey(
        "CLIPCUT_WHISPER_THREADS", summary: "audio-service: whisper.cpp threads per transcription.", defaultValue: "1")
    /// audio-service: largest upload accepted.
    static let audioMaxUploadBytes = ConfigKey(
        "CLIPCUT_AUDIO_MAX_UPLOAD_BYTES", summary: "audio-service: largest file accepted, in bytes.", defaultValue: "536870912")
    /// audio-service: longest audio accepted.
    static let audioMaxSeconds = ConfigKey(
        "CLIPCUT_AUDIO_MAX_SECONDS", summary: "audio-service: longest audio accepted, in seconds.", defaultValue: "3600")
    /// audio-service: transcriptions decoded and running or waiting at once (503 beyond).
    static let whisperQueue = ConfigKey(
        "CLIPCUT_WHISPER_QUEUE", summary: "audio-service: transcriptions decoded and running or waiting at once; more get 503.",
        defaultValue: "4")
}

/// audio-service's settings.
struct AudioServiceSettings: Sendable {
    var modelPath: String
    var modelName: String
    /// The multilingual model, if any.
    var multilingualModelPath: String?
    var multilingualModelName: String?
    var jobs: Int
    var threadsPerJob: Int
    var maximumUploadBytes: Int
    var maximumSeconds: Double
    var queueLimit: Int
    var serviceToken: String?
    var temporaryDirectory: URL

    /// Every variable read here, for `--print-config` (a test checks the list against the reads).
    static let keys: [ConfigKey] = [
        .whisperModel, .whisperMultilingualModel, .whisperJobs, .whisperThreads, .audioMaxUploadBytes, .audioMaxSeconds,
        .whisperQueue, .serviceToken, .allowNoServiceToken, .dataDirectory,
    ]

    /// What `audio-service --print-config` prints.
    static let description = ServiceDescription(service: .audio, keys: keys, programs: [Programs.ffmpeg, Programs.ffprobe])

    init(reader: ConfigReader) throws {
        modelPath = reader.string(.whisperModel, default: ConfigKey.whisperModel.defaultValue ?? "")
        modelName = Self.name(ofModel: modelPath)
        let multilingual = reader.string(.whisperMultilingualModel, default: ConfigKey.whisperMultilingualModel.defaultValue ?? "")
        multilingualModelPath = multilingual.isEmpty ? nil : multilingual
        multilingualModelName = multilingualModelPath.map(Self.name(ofModel:))
        jobs = try reader.int(.whisperJobs, default: 1, in: 1...64)
        threadsPerJob = try reader.int(.whisperThreads, default: 1, in: 1...64)
        maximumUploadBytes = try reader.int(.audioMaxUploadBytes, default: 512 << 20, in: 1...(1 << 40))
        maximumSeconds = Double(try reader.int(.audioMaxSeconds, default: 3600, in: 1...86_400))
        queueLimit = try reader.int(.whisperQueue, default: 4, in: 1...1000)
        serviceToken = try ServiceTokenRequirement.check(
            reader.string(.serviceToken), allowMissing: reader.bool(.allowNoServiceToken, default: false))
        temporaryDirectory = URL(fileURLWithPath: reader.string(.dataDirectory, default: ConfigKey.dataDirectory.defaultValue ?? "."))
            .appendingPathComponent("tmp")
    }

    /// `ggml-tiny.en.bin` → `tiny.en`.
    static func name(ofModel path: String) -> String {
        let file = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return file.hasPrefix("ggml-") ? String(file.dropFirst(5)) : file
    }
}
