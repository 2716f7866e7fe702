import Foundation
import SpeechTestSupport
import Testing

@testable import Whisper

/// Speech longer than one 30 s window. Left to its own window seeking, whisper.cpp repeated
/// earlier sentences and looped on invented ones past the first window (65 % WER on 65 s of
/// English); the transcriber now cuts the audio itself, at quiet moments.
@Suite("Whisper on speech longer than one window", .serialized)
struct LongAudioTests {
    static let sentences = [
        "The quick brown fox jumps over the lazy dog.", "Every video on our platform gets subtitles automatically.",
        "Please remember to save your work before the meeting starts tomorrow morning.",
        "The weather forecast predicts heavy rain across the northern region this weekend.",
        "Our team finished the project two weeks ahead of schedule.", "The library will be closed on Monday for maintenance.",
    ]

    @Test("65 s of continuous English: word error rate under 10 %, no sentence repeated, segments in order within the audio")
    func continuousSpeech() async throws {
        let fixture = try await SpeechFixture.make(Self.sentences + Self.sentences, gap: 0.05)
        defer { fixture.remove() }
        #expect(Double(fixture.samples.count) / 16_000 > 60)
        let transcript = try await TestModel.shared.value.transcribe(fixture.samples)
        let wer = wordErrorRate(reference: fixture.text, hypothesis: transcript.text)
        #expect(wer < 0.10, "WER \(wer): \(transcript.text)")
        #expect(!transcript.text.contains("very important place"), "\(transcript.text)")
        let starts = transcript.segments.map(\.start)
        #expect(starts == starts.sorted())
        #expect((transcript.segments.last?.end ?? 0) <= transcript.duration + 0.5)
        #expect(Set(transcript.segments.map(\.id)).count == transcript.segments.count)
    }

    @Test("the cuts: pieces of at most 28 s, back to back, covering everything, each at the quietest moment near its end")
    func cuts() {
        // 70 s of a loud tone with a silent 100 ms at 25 s and at 50 s.
        var samples = (0..<(70 * 16_000)).map { Float(sin(Double($0) * 0.05)) * 0.5 }
        for quiet in [25 * 16_000, 50 * 16_000] { for index in quiet..<(quiet + 1_600) { samples[index] = 0 } }
        let pieces = WhisperInference.chunks(samples)
        #expect(pieces.first?.lowerBound == 0 && pieces.last?.upperBound == samples.count)
        #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(pieces.allSatisfy { $0.count <= 28 * 16_000 })
        #expect(abs(pieces[0].upperBound - (25 * 16_000 + 800)) <= 800, "\(pieces)")
        #expect(WhisperInference.chunks(Array(samples.prefix(16_000))) == [0..<16_000])
    }
}
