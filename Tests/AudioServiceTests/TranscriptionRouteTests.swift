import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SpeechTestSupport
import Testing

@testable import AudioService
@testable import Whisper

@Suite("POST /v1/audio/transcriptions with the real model", .serialized)
struct TranscriptionRouteTests {
    @Test("every response format from speech in an MP4")
    func formats() async throws {
        let video = try Data(contentsOf: URL(fileURLWithPath: try await TestMedia.speechMP4()))
        try await audioApp().test(.router) { client in
            var json = MultipartBody()
            json.file(filename: "clip.mp4", video)
            json.field("model", "whisper-1")
            let plain = try await client.transcribe(json)
            #expect(plain.status == .ok)
            let text = try #require((try JSONSerialization.jsonObject(with: Data(plain.body.readableBytesView)) as? [String: Any])?["text"] as? String)
            #expect(wordErrorRate(reference: TestMedia.text, hypothesis: text) < 0.15, "\(text)")

            var verbose = MultipartBody()
            verbose.file(filename: "clip.mp4", video)
            verbose.field("response_format", "verbose_json")
            verbose.field("timestamp_granularities[]", "word")
            let detailed = try await client.transcribe(verbose)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(detailed.body.readableBytesView)) as? [String: Any])
            #expect(object["language"] as? String == "english")
            #expect((object["duration"] as? Double ?? 0) > 3)
            #expect(((object["segments"] as? [Any])?.count ?? 0) >= 1)
            let words = try #require(object["words"] as? [[String: Any]])
            #expect(words.count >= 15)
            let starts = words.compactMap { $0["start"] as? Double }
            #expect(starts == starts.sorted())

            for (format, marker) in [("text", "quick brown fox"), ("vtt", "WEBVTT"), ("srt", " --> ")] {
                var body = MultipartBody()
                body.file(filename: "clip.mp4", video)
                body.field("response_format", format)
                let response = try await client.transcribe(body)
                #expect(response.status == .ok, "\(format)")
                #expect(String(buffer: response.body).lowercased().contains(marker.lowercased()), "\(format)")
            }
        }
    }

    @Test("through the API: five espeak-ng sentences in an MP4, WER under 15%, webvtt-py parses the VTT, each sentence's cue within 1 s")
    func sentencesThroughTheAPI() async throws {
        let fixture = try await SpeechFixture.make([
            "The quick brown fox jumps over the lazy dog.",
            "ClipCut turns every upload into several video sizes.",
            "Subtitles are written from the speech in the video.",
            "Please remember to check the weather before you leave.",
            "Thank you for watching and see you next time.",
        ])
        defer { fixture.remove() }
        let video = try Data(contentsOf: URL(fileURLWithPath: try await fixture.mp4()))
        try await audioApp().test(.router) { client in
            var json = MultipartBody()
            json.file(filename: "talk.mp4", video)
            let plain = try await client.transcribe(json)
            let text = try #require((try JSONSerialization.jsonObject(with: Data(plain.body.readableBytesView)) as? [String: Any])?["text"] as? String)
            #expect(wordErrorRate(reference: fixture.text, hypothesis: text) < 0.15, "\(text)")

            var vtt = MultipartBody()
            vtt.file(filename: "talk.mp4", video)
            vtt.field("response_format", "vtt")
            let response = try await client.transcribe(vtt)
            #expect(response.headers[.contentType]?.hasPrefix("text/vtt") == true)
            let path = temporaryPath("captions.vtt")
            try Data(response.body.readableBytesView).write(to: URL(fileURLWithPath: path))
            // "start|end|text" per cue, times as HH:MM:SS.mmm, from webvtt-py.
            let cues = try await runPythonScript("parse_vtt.py", [path]).split(separator: "\n").map { $0.split(separator: "|") }
            let starts = cues.compactMap { $0.first.flatMap { Self.seconds(String($0)) } }
            #expect(starts.count == cues.count && !starts.isEmpty)
            for (sentence, span) in zip(fixture.sentences, fixture.spans) {
                let nearest = starts.map { abs($0 - span.start) }.min() ?? .infinity
                #expect(nearest <= 1.0, "no cue within 1 s of \"\(sentence)\" at \(span.start) s; cue starts \(starts)")
            }
        }
    }

    static func seconds(_ timestamp: String) -> Double? {
        let parts = timestamp.split(separator: ":").compactMap { Double($0) }
        guard parts.count == 3 else { return nil }
        return parts[0] * 3600 + parts[1] * 60 + parts[2]
    }

    @Test("silence is not an error: 200 with no words")
    func silence() async throws {
        let path = temporaryPath("silence.m4a")
        try await runTool("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "5", "-c:a", "aac", path])
        try await audioApp().test(.router) { client in
            var body = MultipartBody()
            body.file(filename: "silence.m4a", try Data(contentsOf: URL(fileURLWithPath: path)))
            body.field("response_format", "verbose_json")
            body.field("timestamp_granularities[]", "word")
            let response = try await client.transcribe(body)
            #expect(response.status == .ok)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            let text = (object["text"] as? String ?? "").trimmingCharacters(in: .whitespaces)
            #expect(text.isEmpty || text.hasPrefix("[") || text.hasPrefix("("), "silence transcribed as \(text)")
        }
    }

    @Test("bad input: each a clear 4xx JSON error, and the service keeps answering")
    func badInput() async throws {
        let silent = try Data(contentsOf: URL(fileURLWithPath: try await silentVideo()))
        let speech = try Data(contentsOf: URL(fileURLWithPath: try await TestMedia.speechMP4()))
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-audio-\(UUID().uuidString)")
        let environment = ["CLIPCUT_AUDIO_MAX_UPLOAD_BYTES": String(speech.count + 10_000), "CLIPCUT_DATA_DIR": dataDirectory.path]
        try await audioApp(environment: environment).test(.router) { client in
            func expectError(_ body: MultipartBody, _ status: HTTPResponse.Status, _ code: String, _ note: String) async throws {
                let response = try await client.transcribe(body)
                #expect(response.status == status, "\(note)")
                #expect(errorCode(response) == code, "\(note)")
            }
            var textFile = MultipartBody()
            textFile.file(filename: "notes.mp4", Data("not a video at all\n".utf8))
            try await expectError(textFile, .unsupportedMediaType, "unsupported_media", "text file")
            var empty = MultipartBody()
            empty.file(filename: "empty.wav", Data())
            try await expectError(empty, .unprocessableContent, "empty_file", "zero bytes")
            var noAudio = MultipartBody()
            noAudio.file(filename: "silent.mp4", silent)
            try await expectError(noAudio, .unprocessableContent, "no_audio_track", "video without audio")
            var truncated = MultipartBody()
            truncated.file(filename: "cut.mp4", speech.prefix(speech.count / 3))
            try await expectError(truncated, .unsupportedMediaType, "unsupported_media", "truncated")
            var tooBig = MultipartBody()
            tooBig.file(filename: "big.mp4", speech + Data(count: 20_000))
            try await expectError(tooBig, .contentTooLarge, "file_too_large", "over the upload limit")
            var noFile = MultipartBody()
            noFile.field("model", "whisper-1")
            try await expectError(noFile, .badRequest, "missing_file", "no file part")
            var badFormat = MultipartBody()
            badFormat.file(filename: "clip.mp4", speech)
            badFormat.field("response_format", "xml")
            try await expectError(badFormat, .badRequest, "bad_request", "unknown format")
            var unknown = MultipartBody()
            unknown.file(filename: "clip.mp4", speech)
            unknown.field("language", "xx")
            try await expectError(unknown, .badRequest, "unsupported_language", "a language no model knows")
            var englishOnly = MultipartBody()
            englishOnly.file(filename: "clip.mp4", speech)
            englishOnly.field("language", "de")
            englishOnly.field("model", "tiny.en")
            try await expectError(englishOnly, .badRequest, "unsupported_language", "German asked of the English-only model")
            var unknownModel = MultipartBody()
            unknownModel.file(filename: "clip.mp4", speech)
            unknownModel.field("model", "gpt-9")
            try await expectError(unknownModel, .badRequest, "unknown_model", "unknown model")
            var badGranularity = MultipartBody()
            badGranularity.file(filename: "clip.mp4", speech)
            badGranularity.field("timestamp_granularities[]", "junk")
            try await expectError(badGranularity, .badRequest, "invalid_timestamp_granularities", "a granularity other than segment or word")

            var twoFiles = MultipartBody()
            twoFiles.file(filename: "a.mp4", speech)
            twoFiles.file(filename: "b.mp4", speech)
            try await expectError(twoFiles, .badRequest, "bad_request", "two file parts")
            var longField = MultipartBody()
            longField.file(filename: "clip.mp4", speech)
            longField.field("model", String(repeating: "m", count: 5000))
            try await expectError(longField, .badRequest, "bad_request", "a 5,000-byte form field")

            let notMultipart = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, body: ByteBuffer(string: "{}"))
            #expect(notMultipart.status == .unsupportedMediaType)
            let broken = try await client.execute(
                uri: "/v1/audio/transcriptions", method: .post,
                headers: [.contentType: "multipart/form-data; boundary=xyz"], body: ByteBuffer(string: "--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc")
            )
            #expect(broken.status == .badRequest)
            #expect(errorCode(broken) == "invalid_multipart")

            var good = MultipartBody()
            good.file(filename: "clip.mp4", speech)
            #expect(try await client.transcribe(good).status == .ok, "still answering after all that")
        }
        // Every upload, refused or not, was streamed to a temporary file and removed afterwards.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dataDirectory.appendingPathComponent("tmp").path)
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("audio longer than the configured limit is 413 audio_too_long")
    func tooLong() async throws {
        let path = temporaryPath("long.m4a")
        try await runTool("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", "20", "-c:a", "aac", path])
        try await audioApp(environment: ["CLIPCUT_AUDIO_MAX_SECONDS": "10"]).test(.router) { client in
            var body = MultipartBody()
            body.file(filename: "long.m4a", try Data(contentsOf: URL(fileURLWithPath: path)))
            let response = try await client.transcribe(body)
            #expect(response.status == .contentTooLarge)
            #expect(errorCode(response) == "audio_too_long")
        }
    }

    @Test("with a service token configured, requests without it get 401")
    func serviceToken() async throws {
        try await audioApp(environment: ["CLIPCUT_SERVICE_TOKEN": "s3cret-token"]).test(.router) { client in
            let missing = try await client.execute(uri: "/v1/models", method: .get)
            let wrong = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer wrong"])
            let right = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer s3cret-token"])
            #expect(missing.status == .unauthorized)
            #expect(errorCode(missing) == "unauthorized")
            #expect(wrong.status == .unauthorized)
            #expect(right.status == .ok)
        }
    }

    @Test("the official openai Python client works unchanged against the service")
    func openAIClient() async throws {
        let path = try await TestMedia.speechMP4()
        try await audioApp(environment: ["CLIPCUT_SERVICE_TOKEN": "client-key"]).test(.live) { client in
            let port = try #require(client.port)
            let output = try await runPythonScript("openai_client.py", ["http://127.0.0.1:\(port)/v1", "client-key", path])
            let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            #expect(wordErrorRate(reference: TestMedia.text, hypothesis: result["text"] as? String ?? "") < 0.15)
            #expect(result["verbose_text"] as? String == result["text"] as? String)
            #expect((result["words"] as? Int ?? 0) >= 15)
            #expect(result["vtt_starts_with_header"] as? Bool == true)
            #expect((result["models"] as? [String])?.contains("whisper-1") == true)
            #expect((result["models"] as? [String])?.contains("base") == true)
            // English speech translated into English: the same words (through base).
            #expect(wordErrorRate(reference: TestMedia.text, hypothesis: result["translation"] as? String ?? "") < 0.3)
        }
    }
}

@Suite("audio-service readiness")
struct AudioReadinessTests {
    @Test("a corrupt model path: /health stays up, /ready is 503, transcriptions are 503")
    func corruptModel() async throws {
        let path = temporaryPath("corrupt.bin")
        try Data(repeating: 7, count: 1024).write(to: URL(fileURLWithPath: path))
        let settings = try AudioServiceSettings(reader: .init(environment: [
            "CLIPCUT_WHISPER_MODEL": path, "CLIPCUT_DATA_DIR": NSTemporaryDirectory(), "CLIPCUT_ALLOW_NO_SERVICE_TOKEN": "true",
        ]))
        let holder = ModelHolder(configuration: .init(modelPath: path), logger: .init(label: "test"))
        let models = SpeechModels(english: holder, englishName: "corrupt", multilingual: nil, multilingualName: nil)
        let app = Application(
            router: buildRouter(models: models, settings: settings, metricsRegistry: .init()), services: [holder]
        )
        try await app.test(.live) { client in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            var ready = try await client.execute(uri: "/ready", method: .get)
            for _ in 0..<100 where String(buffer: ready.body).contains("\"ok\"") == false && ready.status == .serviceUnavailable {
                try await Task.sleep(for: .milliseconds(20))
                ready = try await client.execute(uri: "/ready", method: .get)
            }
            #expect(ready.status == .serviceUnavailable)
            var body = MultipartBody()
            body.file(filename: "a.wav", Data(count: 100))
            let refused = try await client.transcribe(body)
            #expect(refused.status == .serviceUnavailable)
        }
    }
}

/// Runs a Python script of this test target with the venv's interpreter, on a Dispatch thread:
/// the calling task waits without holding a cooperative thread (the live server in this process
/// needs them to answer the script).
func runPythonScript(_ script: String, _ arguments: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try runPythonScriptBlocking(script, arguments) }) }
    }
}

private func runPythonScriptBlocking(_ script: String, _ arguments: [String]) throws -> String {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let root = directory.deletingLastPathComponent().deletingLastPathComponent()
    let python = ProcessInfo.processInfo.environment["CLIPCUT_PYTHON"] ?? root.appendingPathComponent(".deps/venv/bin/python").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [directory.appendingPathComponent(script).path] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw PythonScriptFailed(script: script, status: process.terminationStatus) }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite("Admission of transcriptions")
struct AdmissionTests {
    @Test("beyond the queue limit requests are refused, and places come back")
    func limit() {
        let admission = TranscriptionAdmission(limit: 2)
        #expect(admission.enter())
        #expect(admission.enter())
        #expect(!admission.enter())
        admission.leave()
        #expect(admission.enter())
    }
}

/// A Python helper script exited non-zero.
struct PythonScriptFailed: Error {
    let script: String
    let status: Int32
}
