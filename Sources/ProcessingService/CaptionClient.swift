import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Captions from audio-service: `POST /v1/audio/transcriptions` with `response_format=vtt`.
protocol CaptionSource: Sendable {
    /// The WebVTT of the speech in a 16 kHz mono WAV file.
    func transcribe(wav path: String) async throws -> String
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
    func transcribe(wav path: String) async throws -> String {
        let boundary = "clipcut-\(UUID().uuidString)"
        var head = ByteBuffer()
        for (name, value) in [("model", "whisper-1"), ("response_format", "vtt")] {
            head.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        head.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"audio.wav\"\r\nContent-Type: audio/wav\r\n\r\n")
        var request = HTTPClientRequest(url: baseURL + "/v1/audio/transcriptions")
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
        return String(buffer: text)
    }
}
