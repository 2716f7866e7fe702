import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What audio-service made of some speech: the WebVTT, and which model heard which language.
struct CaptionResult: Sendable, Equatable {
    var vtt: String
    /// ISO 639-1, as detected (or as the uploader said).
    var language: String
    /// The model that ran (`tiny.en`, `base`), when audio-service said.
    var model: String?
    /// How sure the language detection was, when it ran.
    var languageProbability: Double?
}

/// Captions from audio-service: `POST /v1/audio/transcriptions` (and `/translations`) with
/// `response_format=vtt`.
protocol CaptionSource: Sendable {
    /// The WebVTT of the speech in a 16 kHz mono WAV file, in the language spoken (`language`
    /// `nil`: detected).
    func transcribe(wav path: String, language: String?) async throws -> CaptionResult
    /// The same speech as English captions (Whisper's translate task).
    func translate(wav path: String, language: String?) async throws -> CaptionResult
}

/// ``CaptionSource`` over HTTP.
struct AudioServiceClient: CaptionSource {
    let http: HTTPClient
    let baseURL: String
    let token: String?

    struct Failure: Error, CustomStringConvertible {
        var status: Int
        /// audio-service's own error code, when it sent one.
        var code: String?
        var description: String { "audio-service answered \(status)" + (code.map { " (\($0))" } ?? "") }
        /// The request itself was refused (too large, not audio): asking again cannot help.
        var isRefusal: Bool { status == 400 || status == 413 || status == 415 || status == 422 }
    }

    /// Sends the WAV as the `file` part of a multipart body streamed from disk (the process holds
    /// one chunk of it at a time, however long the speech is).
    func transcribe(wav path: String, language: String?) async throws -> CaptionResult {
        try await send(wav: path, to: "/v1/audio/transcriptions", language: language)
    }

    func translate(wav path: String, language: String?) async throws -> CaptionResult {
        try await send(wav: path, to: "/v1/audio/translations", language: language)
    }

    private func send(wav path: String, to route: String, language: String?) async throws -> CaptionResult {
        let boundary = "clipcut-\(UUID().uuidString)"
        var head = ByteBuffer()
        var fields = [("model", "whisper-1"), ("response_format", "vtt")]
        if let language { fields.append(("language", language)) }
        for (name, value) in fields {
            head.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        head.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"audio.wav\"\r\nContent-Type: audio/wav\r\n\r\n")
        var request = HTTPClientRequest(url: baseURL + route)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = try FileBody.make(path: path, prefix: head, suffix: ByteBuffer(string: "\r\n--\(boundary)--\r\n"))
        let response = try await http.execute(request, timeout: .minutes(30))
        let text = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else {
            let code = (try? JSONSerialization.jsonObject(with: Data(buffer: text)) as? [String: Any])
                .flatMap { ($0["error"] as? [String: Any])?["code"] as? String }
            throw Failure(status: Int(response.status.code), code: code)
        }
        return CaptionResult(
            vtt: String(buffer: text), language: response.headers.first(name: "ClipCut-Language") ?? language ?? "en",
            model: response.headers.first(name: "ClipCut-Model"),
            languageProbability: response.headers.first(name: "ClipCut-Language-Probability").flatMap(Double.init))
    }
}
