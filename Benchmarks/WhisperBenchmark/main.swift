// The figures of `scripts/bench whisper` (issue [03]): real-time factor of one transcription
// and the process's peak RSS. One process per thread count, so each RSS is its own.
//
//   WhisperBenchmark MODEL AUDIO_FILE THREADS [RUNS]
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
    FileHandle.standardError.write(Data("usage: WhisperBenchmark MODEL AUDIO_FILE THREADS [RUNS]\n".utf8))
    exit(2)
}
let runs = arguments.count > 4 ? Int(arguments[4]) ?? 3 : 3
let transcriber = try await WhisperTranscriber(configuration: .init(modelPath: arguments[1], threadsPerJob: threads))
let samples = try await AudioDecoder().decode(fileAt: arguments[2])
let audioSeconds = Double(samples.count) / 16_000
var factors: [Double] = []
var words = 0
for _ in 0..<runs {
    let start = ContinuousClock.now
    let transcript = try await transcriber.transcribe(samples)
    let elapsed = ContinuousClock.now - start
    factors.append((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) / audioSeconds)
    words = transcript.segments.reduce(0) { $0 + $1.words.count }
}
let median = factors.sorted()[factors.count / 2]
print(String(
    format: "threads=%d audio=%.1fs rtf_median=%.3f rtf_all=%@ words=%d peak_rss_mb=%.0f",
    threads, audioSeconds, median, factors.map { String(format: "%.3f", $0) }.joined(separator: ","), words, peakResidentMegabytes()
))
