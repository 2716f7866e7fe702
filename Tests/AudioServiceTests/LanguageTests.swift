import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SpeechTestSupport
import Testing

@testable import AudioService
@testable import Whisper

/// Speech in the speaker's language: detection, the model chosen for it, translation into
/// English, and no captions for what is not speech. espeak-ng voices made at test time.
@Suite("audio-service: languages, translation, non-speech", .serialized)
struct LanguageTests {
    static let speech: [(voice: String, language: String, sentences: [String])] = [
        ("en-us", "en", ["The weather is lovely today.", "We are going to the beach with our friends."]),
        ("es", "es", ["Hoy hace muy buen tiempo.", "Vamos a la playa con nuestros amigos."]),
        ("fr", "fr", ["Aujourd'hui il fait très beau.", "Nous allons à la plage avec nos amis."]),
        ("it", "it", ["Oggi il tempo è bellissimo.", "Andiamo al mare con i nostri amici."]),
        ("de", "de", ["Heute ist das Wetter sehr schön.", "Wir gehen mit unseren Freunden an den Strand."]),
        ("pt", "pt", ["Hoje o tempo está muito bom.", "Vamos à praia com os nossos amigos."]),
    ]

    static func form(_ path: String, _ fields: [String: String] = [:]) throws -> MultipartBody {
        var body = MultipartBody()
        body.file(filename: URL(fileURLWithPath: path).lastPathComponent, try Data(contentsOf: URL(fileURLWithPath: path)))
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) { body.field(name, value) }
        return body
    }

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]) ?? [:]
    }

    @Test("six languages from espeak-ng: at least 5 detected right; English runs on tiny.en, the rest on base; WER reported")
    func detectsAndRoutes() async throws {
        try await audioApp().test(.router) { client in
            var right = 0
            for sample in Self.speech {
                let fixture = try await SpeechFixture.make(sample.sentences, voice: sample.voice)
                defer { fixture.remove() }
                let response = try await client.transcribe(try Self.form(try await fixture.wav(), ["response_format": "verbose_json"]))
                #expect(response.status == .ok)
                let detected = response.headers[.clipcutLanguage] ?? "?"
                let probability = response.headers[.clipcutLanguageProbability].flatMap(Double.init) ?? -1
                let model = response.headers[.clipcutModel] ?? "?"
                let text = Self.json(response)["text"] as? String ?? ""
                let wer = wordErrorRate(reference: fixture.text, hypothesis: text)
                print("[language] \(sample.language): detected \(detected) p=\(String(format: "%.2f", probability)) model \(model) WER \(String(format: "%.1f", wer * 100))% \"\(text)\"")
                if detected == sample.language { right += 1 }
                #expect((0...1).contains(probability), "a detection probability is reported")
                #expect(model == (detected == "en" ? "tiny.en" : "base"))
                if sample.language == "en" { #expect(wer < 0.15, "\(text)") }
            }
            #expect(right >= 5, "\(right) of 6 languages detected")
        }
    }

    @Test("a language given by the caller is used without detection; an unknown one is 400")
    func givenLanguage() async throws {
        let fixture = try await SpeechFixture.make(Self.speech[1].sentences, voice: "es")
        defer { fixture.remove() }
        let wav = try await fixture.wav()
        try await audioApp().test(.router) { client in
            let given = try await client.transcribe(try Self.form(wav, ["language": "es"]))
            #expect(given.status == .ok && given.headers[.clipcutLanguage] == "es" && given.headers[.clipcutModel] == "base")
            #expect(given.headers[.clipcutLanguageProbability] == nil)
            let unknown = try await client.transcribe(try Self.form(wav, ["language": "xx"]))
            #expect(unknown.status == .badRequest && errorCode(unknown) == "unsupported_language")
        }
    }

    @Test("POST /v1/audio/translations turns Spanish speech into English text")
    func translation() async throws {
        let fixture = try await SpeechFixture.make(Self.speech[1].sentences, voice: "es")
        defer { fixture.remove() }
        let wav = try await fixture.wav()
        try await audioApp().test(.router) { client in
            var body = try Self.form(wav, ["response_format": "verbose_json"])
            let response = try await client.execute(uri: "/v1/audio/translations", method: .post, headers: body.headers, body: body.buffer)
            #expect(response.status == .ok)
            let object = Self.json(response)
            let text = (object["text"] as? String ?? "").lowercased()
            #expect(object["task"] as? String == "translate")
            let words = ["weather", "beach", "friends", "today", "good", "nice", "beautiful"].filter { text.contains($0) }
            #expect(words.count >= 2, "content words in \"\(text)\"")
            body = MultipartBody()
        }
    }

    @Test("a tone and a music-like bed get no segments; speech over a tone keeps its words; every verbose_json number is measured")
    func notSpeech() async throws {
        try await audioApp().test(.router) { client in
            for (name, source) in [
                ("tone", "sine=frequency=440:sample_rate=16000:duration=12"),
                ("music", "sine=frequency=220:sample_rate=16000:duration=12,volume=0.5[a];anoisesrc=d=12:c=pink:r=16000:a=0.1[b];[a][b]amix"),
            ] {
                let path = temporaryPath("\(name).wav")
                try await runTool("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", source, "-ac", "1", path])
                let response = try await client.transcribe(try Self.form(path, ["response_format": "verbose_json"]))
                #expect(response.status == .ok)
                let segments = Self.json(response)["segments"] as? [Any] ?? ["?"]
                #expect(segments.isEmpty, "\(name): \(Self.json(response)["text"] ?? "")")
            }

            let fixture = try await SpeechFixture.make(Self.speech[0].sentences)
            defer { fixture.remove() }
            let mixed = try await fixture.wav(under: "sine=frequency=440:sample_rate=16000", volume: 0.15)
            let response = try await client.transcribe(try Self.form(mixed, ["response_format": "verbose_json"]))
            let object = Self.json(response)
            let text = object["text"] as? String ?? ""
            #expect(wordErrorRate(reference: fixture.text, hypothesis: text) < 0.3, "\(text)")
            let segments = try #require(object["segments"] as? [[String: Any]])
            #expect(!segments.isEmpty)
            for segment in segments {
                #expect(!(segment["tokens"] as? [Int] ?? []).isEmpty)
                let logprob = try #require(segment["avg_logprob"] as? Double)
                #expect(logprob < 0 && logprob > -5)
                let noSpeech = try #require(segment["no_speech_prob"] as? Double)
                #expect((0...1).contains(noSpeech))
                #expect(segment["compression_ratio"] == nil && segment["temperature"] == nil, "no made-up numbers")
            }
        }
    }
}
