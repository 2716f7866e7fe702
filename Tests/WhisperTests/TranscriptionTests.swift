import Foundation
import SpeechTestSupport
import Testing

@testable import Whisper

@Suite("Whisper transcription with the converted tiny.en model", .serialized)
struct TranscriptionTests {
    static let sentences = [
        "The quick brown fox jumps over the lazy dog.",
        "ClipCut turns every upload into several video sizes.",
        "Subtitles are written from the speech in the video.",
        "Please remember to check the weather before you leave.",
        "Thank you for watching and see you next time.",
    ]

    @Test("the converted model loads without a single whisper.cpp warning")
    func loadsCleanly() async throws {
        let transcriber = try await TestModel.shared.value
        #expect(transcriber.model.loadWarnings.isEmpty, "\(transcriber.model.loadWarnings)")
        #expect(transcriber.model.typeName == "tiny")
        #expect(!transcriber.model.isMultilingual)
    }

    @Test("speech in an MP4: word error rate under 15%, every sentence's cue within 1 s of where it is")
    func speechInVideo() async throws {
        let fixture = try await SpeechFixture.make(Self.sentences)
        defer { fixture.remove() }
        let samples = try await AudioDecoder().decode(fileAt: try await fixture.mp4())
        let transcript = try await TestModel.shared.value.transcribe(samples)
        let wer = wordErrorRate(reference: Self.sentences.joined(separator: " "), hypothesis: transcript.text)
        #expect(wer < 0.15, "WER \(wer): \(transcript.text)")
        #expect(transcript.language == "en")

        let cues = CaptionBuilder().cues(for: transcript)
        for (sentence, span) in zip(Self.sentences, fixture.spans) {
            let starting = cues.min { abs($0.start - span.start) < abs($1.start - span.start) }
            let distance = starting.map { abs($0.start - span.start) } ?? .infinity
            #expect(distance <= 1.0, "no cue within 1 s of \"\(sentence)\" at \(span.start) s: \(cues.map(\.start))")
        }
        for cue in cues {
            #expect(cue.end > cue.start)
            #expect(cue.end <= transcript.duration + 0.5)
        }
    }

    @Test("silence gives no segments, not an error")
    func silence() async throws {
        let transcript = try await TestModel.shared.value.transcribe([Float](repeating: 0, count: 16_000 * 5))
        #expect(transcript.segments.allSatisfy { $0.words.isEmpty || $0.text.isEmpty || $0.text.hasPrefix("[") || $0.text.hasPrefix("(") })
        #expect(CaptionBuilder().cues(for: transcript).count <= transcript.segments.count)
    }
}

@Suite("Bad input to the decoder and the model loader")
struct BadAudioTests {
    func file(_ name: String, _ contents: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-\(UUID().uuidString)-\(name)")
        try contents.write(to: url)
        return url.path
    }

    @Test("a video without audio is noAudioStream")
    func videoWithoutAudio() async throws {
        let path = try await silentVideo()
        await #expect(throws: AudioDecodingError.noAudioStream) { _ = try await AudioDecoder().decode(fileAt: path) }
    }

    @Test("a text file, a zero-byte file and a truncated MP4 are undecodable", arguments: ["text", "empty", "truncated"])
    func undecodable(kind: String) async throws {
        let path: String
        switch kind {
        case "text": path = try file("notes.mp4", Data("just some text, not a video\n".utf8))
        case "empty": path = try file("empty.wav", Data())
        default:
            let fixture = try await SpeechFixture.make(["A short sentence."])
            defer { fixture.remove() }
            let whole = try Data(contentsOf: URL(fileURLWithPath: try await fixture.mp4()))
            path = try file("truncated.mp4", whole.prefix(whole.count / 3))
        }
        await #expect {
            _ = try await AudioDecoder().decode(fileAt: path)
        } throws: { error in
            guard case AudioDecodingError.undecodable = error else { return false }
            return true
        }
    }

    @Test("audio over the configured limit is refused before decoding")
    func tooLong() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-\(UUID().uuidString)-long.m4a").path
        let made = try await runProcess("/usr/bin/ffmpeg", [
            "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "30", "-c:a", "aac", path,
        ])
        #expect(made.status == 0)
        await #expect {
            _ = try await AudioDecoder(maximumDuration: 10).decode(fileAt: path)
        } throws: { error in
            guard case AudioDecodingError.tooLong(let seconds, let limit) = error else { return false }
            return seconds >= 29 && limit == 10
        }
    }

    @Test("a missing model and a corrupt model are refused with a reason")
    func badModels() async throws {
        await #expect(throws: WhisperError.modelNotFound("/nonexistent/model.bin")) {
            _ = try await WhisperTranscriber(configuration: .init(modelPath: "/nonexistent/model.bin"))
        }
        let corrupt = try file("corrupt.bin", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) }))
        await #expect {
            _ = try await WhisperTranscriber(configuration: .init(modelPath: corrupt))
        } throws: { error in
            guard case WhisperError.modelRejected = error else { return false }
            return true
        }
    }
}
