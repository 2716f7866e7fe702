import Foundation

/// Drops the segments of a transcript that are not speech: Whisper writes something for every
/// stretch of audio it is given, and a tone under a test card comes back as "(phone ringing)",
/// a music bed as "[Music]" or as invented words.
///
/// A segment goes when
/// - its text is only a sound annotation: in brackets or parentheses (`(phone ringing)`,
///   `[BLANK_AUDIO]`), or only music signs (`♪`);
/// - whisper.cpp judged its window no speech (`no_speech_prob` above ``noSpeechThreshold``) and
///   the decoder was unsure of its words (mean token log probability below
///   ``logProbabilityThreshold``): the rule OpenAI's Whisper applies;
/// - its audio is near silence (RMS below ``silenceDecibels`` dBFS), where Whisper invents text.
public struct SpeechFilter: Sendable {
    /// Above this no-speech probability a segment is suspect.
    public var noSpeechThreshold = 0.6
    /// Below this mean token log probability a suspect segment goes.
    public var logProbabilityThreshold = -1.0
    /// Below this loudness (dBFS, RMS) a segment is silence.
    public var silenceDecibels = -50.0

    public init() {}

    /// Why a segment is not speech, or `nil` when it is kept.
    public func reason(for segment: TranscriptSegment, samples: [Float]) -> String? {
        if Self.isAnnotationOnly(segment.text) { return "a sound annotation" }
        if let noSpeech = segment.noSpeechProbability, noSpeech > noSpeechThreshold,
           (segment.averageLogProbability ?? 0) < logProbabilityThreshold {
            return "no speech (p = \(String(format: "%.2f", noSpeech)))"
        }
        if let level = Self.decibels(samples, from: segment.start, to: segment.end), level < silenceDecibels {
            return "silence (\(Int(level)) dBFS)"
        }
        return nil
    }

    /// The transcript without its non-speech segments, and how many went.
    public func apply(to transcript: Transcript, samples: [Float]) -> (transcript: Transcript, dropped: Int) {
        var kept = transcript
        kept.segments = transcript.segments.filter { reason(for: $0, samples: samples) == nil }
        return (kept, transcript.segments.count - kept.segments.count)
    }

    /// Whether `text` holds nothing but bracketed annotations and music signs.
    static func isAnnotationOnly(_ text: String) -> Bool {
        var rest = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        guard !rest.isEmpty else { return true }
        let pairs: [Character: Character] = ["(": ")", "[": "]", "*": "*"]
        while let first = rest.first {
            if first.isWhitespace || "♪♫♬-".contains(first) {
                rest = rest.dropFirst()
            } else if let close = pairs[first], let end = rest.dropFirst().firstIndex(of: close) {
                rest = rest[rest.index(after: end)...]
            } else {
                return false
            }
        }
        return true
    }

    /// The RMS level of `samples` (16 kHz) between two times, in dBFS; `nil` for an empty span.
    static func decibels(_ samples: [Float], from start: Double, to end: Double) -> Double? {
        let lower = max(0, min(samples.count, Int((start * 16_000).rounded(.down))))
        let upper = max(lower, min(samples.count, Int((end * 16_000).rounded(.up))))
        guard upper > lower else { return nil }
        var sum = 0.0
        for index in lower..<upper { sum += Double(samples[index]) * Double(samples[index]) }
        let rms = (sum / Double(upper - lower)).squareRoot()
        return rms > 0 ? 20 * log10(rms) : -200
    }
}
