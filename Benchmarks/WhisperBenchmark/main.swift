// The figures of `scripts/bench whisper` (issue [03]): real-time factor of one transcription
// and the process's peak RSS. One process per thread count, so each RSS is its own.
//
//   WhisperBenchmark MODEL AUDIO_FILE THREADS [RUNS] [LANGUAGE] [TEXT_OUT]
//
// LANGUAGE (ISO 639-1) is passed to whisper.cpp as the uploader's choice would be; TEXT_OUT gets
// the last run's text, for the word error rate scripts/bench computes the same way for every
// engine.
import Foundation
import Whisper

func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
    return kilobytes / 1024
}

let arguments = CommandLine.arguments
guard arguments.count >= 4, let threads = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: WhisperBenchmark MODEL AUDIO_FILE THREADS [RUNS] [LANGUAGE] [TEXT_OUT]\n".utf8))
    exit(2)
}
let runs = arguments.count > 4 ? Int(arguments[4]) ?? 3 : 3
let language = arguments.count > 5 ? arguments[5] : nil
let textOut = arguments.count > 6 ? arguments[6] : nil
let transcriber = try await WhisperTranscriber(configuration: .init(modelPath: arguments[1], threadsPerJob: threads))
let samples = try await AudioDecoder().decode(fileAt: arguments[2])
let audioSeconds = Double(samples.count) / 16_000
var factors: [Double] = []
var words = 0
var text = ""
for _ in 0..<runs {
    let start = ContinuousClock.now
    let transcript = try await transcriber.transcribe(samples, language: language)
    text = transcript.text
    let elapsed = ContinuousClock.now - start
    factors.append((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) / audioSeconds)
    words = transcript.segments.reduce(0) { $0 + $1.words.count }
}
let median = factors.sorted()[factors.count / 2]
if let textOut { try Data(text.utf8).write(to: URL(fileURLWithPath: textOut)) }
print(String(
    format: "threads=%d audio=%.1fs rtf_median=%.3f rtf_all=%@ words=%d peak_rss_mb=%.0f",
    threads, audioSeconds, median, factors.map { String(format: "%.3f", $0) }.joined(separator: ","), words, peakResidentMegabytes()
))
