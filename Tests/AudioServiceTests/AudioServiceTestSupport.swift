import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import ServiceSupport
import Testing

@testable import AudioService
@testable import Whisper

enum AudioTestModel {
    /// One transcriber for the test process (the converted tiny.en `scripts/test` points at).
    static let shared = Task<WhisperTranscriber, any Error> {
        let path = try #require(
            ProcessInfo.processInfo.environment["CLIPCUT_WHISPER_MODEL"],
            "CLIPCUT_WHISPER_MODEL is not set: run the tests through scripts/test, which converts the model"
        )
        return try await WhisperTranscriber(configuration: .init(modelPath: path))
    }
}

/// An audio-service application around the shared transcriber.
func audioApp(environment: [String: String] = [:]) async throws -> some ApplicationProtocol {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-audio-\(UUID().uuidString)")
    let settings = try AudioServiceSettings(reader: ConfigReader(environment: ["CLIPCUT_DATA_DIR": directory.path].merging(environment) { $1 }))
    let models = ModelHolder(transcriber: try await AudioTestModel.shared.value)
    return Application(router: buildRouter(models: models, settings: settings, metricsRegistry: PrometheusCollectorRegistry()))
}

/// Test media made at run time: espeak-ng speech, optionally muxed into an MP4 with video.
enum TestMedia {
    static let sentences = "The quick brown fox jumps over the lazy dog. Subtitles are written from the speech in the video."

    static func file(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-\(UUID().uuidString)-\(name)").path
    }

    static func speechMP4() async throws -> String {
        let wav = file("speech.wav"), mp4 = file("speech.mp4")
        #expect(try await runProcess("/usr/bin/espeak-ng", ["-v", "en-us", "-s", "150", "-g", "8", "-w", wav, sentences]).status == 0)
        let made = try await runProcess("/usr/bin/ffmpeg", [
            "-nostdin", "-y", "-loglevel", "error", "-i", wav, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", mp4,
        ])
        #expect(made.status == 0)
        return mp4
    }

    static func silentVideo() async throws -> String {
        let path = file("silent.mp4")
        let made = try await runProcess("/usr/bin/ffmpeg", [
            "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "2",
            "-c:v", "libx264", "-preset", "ultrafast", path,
        ])
        #expect(made.status == 0)
        return path
    }
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
