import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import ServiceSupport
import SpeechTestSupport
import Testing

@testable import AudioService
@testable import Whisper

/// An audio-service application around the shared transcriber.
func audioApp(environment: [String: String] = [:]) async throws -> some ApplicationProtocol {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-audio-\(UUID().uuidString)")
    let settings = try AudioServiceSettings(reader: ConfigReader(environment: [
        "CLIPCUT_DATA_DIR": directory.path, "CLIPCUT_ALLOW_NO_SERVICE_TOKEN": "true",
    ].merging(environment) { $1 }))
    let models = SpeechModels(
        english: ModelHolder(transcriber: try await TestModel.shared.value), englishName: "tiny.en",
        multilingual: ModelHolder(transcriber: try await TestModel.multilingual.value), multilingualName: "base")
    return Application(router: buildRouter(models: models, settings: settings, metricsRegistry: PrometheusCollectorRegistry()))
}

/// The speech most route tests send: two sentences in an MP4.
enum TestMedia {
    static let sentences = ["The quick brown fox jumps over the lazy dog.", "Subtitles are written from the speech in the video."]

    static func speechMP4() async throws -> String {
        try await SpeechFixture.make(sentences).mp4()
    }

    static var text: String { sentences.joined(separator: " ") }
}

/// A `multipart/form-data` body.
struct MultipartBody {
    let boundary = "clipcut-\(UUID().uuidString)"
    var parts: [(name: String, filename: String?, data: Data)] = []

    mutating func field(_ name: String, _ value: String) { parts.append((name, nil, Data(value.utf8))) }
    mutating func file(_ name: String = "file", filename: String, _ data: Data) { parts.append((name, filename, data)) }

    var headers: HTTPFields { [.contentType: "multipart/form-data; boundary=\(boundary)"] }

    var buffer: ByteBuffer {
        var data = Data()
        for part in parts {
            data += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"".utf8)
            if let filename = part.filename { data += Data("; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream".utf8) }
            data += Data("\r\n\r\n".utf8) + part.data + Data("\r\n".utf8)
        }
        data += Data("--\(boundary)--\r\n".utf8)
        return ByteBuffer(bytes: data)
    }
}

func errorCode(_ response: TestResponse) -> String? {
    let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
    return (object?["error"] as? [String: Any])?["code"] as? String
}

extension TestClientProtocol {
    func transcribe(_ body: MultipartBody, headers: HTTPFields = [:]) async throws -> TestResponse {
        var all = body.headers
        all.append(contentsOf: headers)
        return try await execute(uri: "/v1/audio/transcriptions", method: .post, headers: all, body: body.buffer)
    }
}
