import Foundation
import Whisper

/// Test media shared by WhisperTests and AudioServiceTests, made at run time (nothing binary is
/// committed): espeak-ng speech and ffmpeg's lavfi sources.

/// Why a fixture could not be made.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
}

/// The model `scripts/test` converted (`CLIPCUT_WHISPER_MODEL`).
public enum TestModel {
    public static func path() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["CLIPCUT_WHISPER_MODEL"] else {
            throw FixtureError(description: "CLIPCUT_WHISPER_MODEL is not set: run the tests through scripts/test, which converts the model")
        }
        return path
    }

    /// One transcriber per test process (loading takes a second or two).
    public static let shared = Task<WhisperTranscriber, any Error> {
        try await WhisperTranscriber(configuration: .init(modelPath: try path()))
    }

    /// The multilingual model `scripts/test` converted (`CLIPCUT_WHISPER_MULTILINGUAL_MODEL`).
    public static func multilingualPath() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["CLIPCUT_WHISPER_MULTILINGUAL_MODEL"], !path.isEmpty else {
            throw FixtureError(description: "CLIPCUT_WHISPER_MULTILINGUAL_MODEL is not set: run the tests through scripts/test")
        }
        return path
    }

    /// One multilingual transcriber per test process.
    public static let multilingual = Task<WhisperTranscriber, any Error> {
        try await WhisperTranscriber(configuration: .init(modelPath: try multilingualPath()))
    }
}

/// Runs a tool and throws with its error output when it fails.
@discardableResult
public func runTool(_ executable: String, _ arguments: [String]) async throws -> ProcessOutput {
    let result = try await runProcess(executable, arguments)
    guard result.status == 0 else {
        throw FixtureError(description: "\(executable) failed: \(String(decoding: result.standardError, as: UTF8.self))")
    }
    return result
}

/// A path in the temporary directory no other test uses.
public func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-\(UUID().uuidString)-\(name)").path
}

/// A two-second H.264 video with no audio track.
public func silentVideo() async throws -> String {
    let path = temporaryPath("silent.mp4")
    try await runTool("/usr/bin/ffmpeg", [
        "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "2",
        "-c:v", "libx264", "-preset", "ultrafast", path,
    ])
    return path
}

/// Speech made at run time with espeak-ng: each sentence separately, joined with silence, so
/// where each sentence starts is known exactly.
public struct SpeechFixture: Sendable {
    public let directory: URL
    public let sentences: [String]
    /// Start and end of each sentence in seconds.
    public let spans: [Span]
    public let samples: [Float]

    /// Where a sentence is.
    public struct Span: Sendable {
        public let start: Double
        public let end: Double
    }

    /// All sentences as one text.
    public var text: String { sentences.joined(separator: " ") }

    /// - Parameter voice: an espeak-ng voice (`en-us`, `es`, `fr`, `it`, `de`, `pt`).
    public static func make(_ sentences: [String], voice: String = "en-us", gap: Double = 0.8, lead: Double = 0.5) async throws -> SpeechFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-speech-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let decoder = AudioDecoder()
        var samples = [Float](repeating: 0, count: Int(lead * 16_000))
        var spans: [Span] = []
        for (index, sentence) in sentences.enumerated() {
            let wav = directory.appendingPathComponent("s\(index).wav").path
            try await runTool("/usr/bin/espeak-ng", ["-v", voice, "-s", "150", "-g", "8", "-w", wav, sentence])
            let speech = try await decoder.decode(fileAt: wav)
            let start = Double(samples.count) / 16_000
            samples += speech
            spans.append(Span(start: start, end: Double(samples.count) / 16_000))
            samples += [Float](repeating: 0, count: Int(gap * 16_000))
        }
        return SpeechFixture(directory: directory, sentences: sentences, spans: spans, samples: samples)
    }

    /// The speech muxed into an MP4 with a test-pattern video track (H.264 + AAC).
    public func mp4() async throws -> String {
        let raw = directory.appendingPathComponent("speech.f32").path
        try samples.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: raw))
        let output = directory.appendingPathComponent("speech.mp4").path
        try await runTool("/usr/bin/ffmpeg", [
            "-nostdin", "-y", "-loglevel", "error", "-f", "f32le", "-ar", "16000", "-ac", "1", "-i", raw,
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-shortest",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "96k", output,
        ])
        return output
    }

    /// The speech as a 16 kHz WAV, optionally mixed with a lavfi audio source (e.g.
    /// `sine=frequency=440:sample_rate=16000`) at `volume`.
    public func wav(under background: String? = nil, volume: Double = 0.3) async throws -> String {
        let raw = directory.appendingPathComponent("speech.f32").path
        try samples.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: raw))
        let output = directory.appendingPathComponent("speech-\(UUID().uuidString.prefix(6)).wav").path
        var arguments = ["-nostdin", "-y", "-loglevel", "error", "-f", "f32le", "-ar", "16000", "-ac", "1", "-i", raw]
        if let background {
            arguments += ["-f", "lavfi", "-i", background, "-filter_complex",
                          "[1:a]volume=\(volume)[b];[0:a][b]amix=inputs=2:duration=first:normalize=0[a]", "-map", "[a]"]
        }
        try await runTool("/usr/bin/ffmpeg", arguments + ["-ar", "16000", "-ac", "1", output])
        return output
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
