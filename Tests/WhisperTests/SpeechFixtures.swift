import Foundation
import Testing

@testable import Whisper

/// The model `scripts/test` converted (`CLIPCUT_WHISPER_MODEL`).
enum TestModel {
    static func path() throws -> String {
        try #require(
            ProcessInfo.processInfo.environment["CLIPCUT_WHISPER_MODEL"],
            "CLIPCUT_WHISPER_MODEL is not set: run the tests through scripts/test, which converts the model"
        )
    }

    /// One transcriber for the whole test process (loading takes a second or two).
    static let shared = Task<WhisperTranscriber, any Error> {
        try await WhisperTranscriber(configuration: .init(modelPath: try path()))
    }
}

/// Speech made at run time with espeak-ng: each sentence separately, joined with silence, so
/// where each sentence starts is known exactly.
struct SpeechFixture {
    let directory: URL
    let sentences: [String]
    /// Start and end of each sentence in seconds.
    let spans: [(start: Double, end: Double)]
    let samples: [Float]

    static func make(_ sentences: [String], gap: Double = 0.8, lead: Double = 0.5) async throws -> SpeechFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-speech-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let decoder = AudioDecoder()
        var samples = [Float](repeating: 0, count: Int(lead * 16_000))
        var spans: [(Double, Double)] = []
        for (index, sentence) in sentences.enumerated() {
            let wav = directory.appendingPathComponent("s\(index).wav").path
            let spoken = try await runProcess("/usr/bin/espeak-ng", ["-v", "en-us", "-s", "150", "-g", "8", "-w", wav, sentence])
            #expect(spoken.status == 0)
            let speech = try await decoder.decode(fileAt: wav)
            let start = Double(samples.count) / 16_000
            samples += speech
            spans.append((start, Double(samples.count) / 16_000))
            samples += [Float](repeating: 0, count: Int(gap * 16_000))
        }
        return SpeechFixture(directory: directory, sentences: sentences, spans: spans, samples: samples)
    }

    /// The speech muxed into an MP4 with a test-pattern video track (H.264 + AAC).
    func mp4() async throws -> String {
        let raw = directory.appendingPathComponent("speech.f32").path
        try samples.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: raw))
        let output = directory.appendingPathComponent("speech.mp4").path
        let result = try await runProcess("/usr/bin/ffmpeg", [
            "-nostdin", "-y", "-loglevel", "error", "-f", "f32le", "-ar", "16000", "-ac", "1", "-i", raw,
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-shortest",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "96k", output,
        ])
        #expect(result.status == 0, "\(String(decoding: result.standardError, as: UTF8.self))")
        return output
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
