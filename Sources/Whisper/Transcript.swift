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
    /// The decoder's token ids of the segment's text (special tokens left out).
    public var tokens: [Int]?
    /// The mean log probability of those tokens (whisper.cpp's `plog`).
    public var averageLogProbability: Double?
    /// The probability whisper.cpp gave the window holding this segment of being no speech.
    public var noSpeechProbability: Double?

    public init(
        id: Int, start: Double, end: Double, text: String, words: [TranscriptWord], tokens: [Int]? = nil,
        averageLogProbability: Double? = nil, noSpeechProbability: Double? = nil
    ) {
        self.id = id
        self.start = start
        self.end = end
        self.text = text
        self.words = words
        self.tokens = tokens
        self.averageLogProbability = averageLogProbability
        self.noSpeechProbability = noSpeechProbability
    }
}

/// What Whisper is asked to do with speech.
public enum WhisperTask: String, Sendable, Codable {
    /// Text in the language spoken.
    case transcribe
    /// Text in English, whatever the language spoken (multilingual models only).
    case translate
}

/// The language a model hears in the first 30 s of audio, and how sure it is.
public struct LanguageGuess: Sendable, Equatable, Codable {
    /// ISO 639-1 code (`es`).
    public var language: String
    /// The model's probability for it, 0…1.
    public var probability: Double
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
