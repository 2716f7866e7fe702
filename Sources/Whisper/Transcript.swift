import Foundation

/// A word with its time (seconds from the start of the audio), from whisper.cpp's token
/// timestamps: the tokens of a word are joined by their bytes, so a character split across
/// tokens comes out whole.
public struct TranscriptWord: Sendable, Equatable, Codable {
    public var word: String
    public var start: Double
    public var end: Double
    /// The lowest decoder probability among the word's tokens.
    public var probability: Float
}

/// A stretch of speech with its text.
public struct TranscriptSegment: Sendable, Equatable, Codable {
    public var id: Int
    public var start: Double
    public var end: Double
    public var text: String
    /// The segment's words with their own times.
    public var words: [TranscriptWord]
}

/// The result of one transcription.
public struct Transcript: Sendable, Equatable, Codable {
    /// The language spoken (ISO 639-1), as given or detected.
    public var language: String
    /// Its English name as whisper.cpp knows it (`english`).
    public var languageName: String
    /// Length of the audio in seconds.
    public var duration: Double
    /// The segments in order; empty for silence.
    public var segments: [TranscriptSegment]

    /// All segments' text joined.
    public var text: String {
        segments.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: " ")
    }
}
