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
        var description: String { "audio-service answered \(status)" }
    }

    func transcribe(wav path: String) async throws -> String {
        let audio = try Data(contentsOf: URL(fileURLWithPath: path))
        let boundary = "clipcut-\(UUID().uuidString)"
        var body = ByteBuffer()
        for (name, value) in [("model", "whisper-1"), ("response_format", "vtt")] {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"audio.wav\"\r\nContent-Type: audio/wav\r\n\r\n")
        body.writeBytes(audio)
        body.writeString("\r\n--\(boundary)--\r\n")
        var request = HTTPClientRequest(url: baseURL + "/v1/audio/transcriptions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(body)
        let response = try await http.execute(request, timeout: .minutes(30))
        let text = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else { throw Failure(status: Int(response.status.code)) }
        return String(buffer: text)
    }
}
