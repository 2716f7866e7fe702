import Foundation
import Hummingbird
import ServiceSupport
import Whisper

/// The response formats of OpenAI's transcription API.
enum ResponseFormat: String, CaseIterable, Sendable {
    case json
    case verboseJSON = "verbose_json"
    case text
    case srt
    case vtt

    /// The response for `transcript` in this format.
    func response(for transcript: Transcript, task: WhisperTask = .transcribe, includeWords: Bool) throws -> Response {
        switch self {
        case .json:
            return jsonResponse(["text": transcript.text])
        case .verboseJSON:
            return jsonResponse(VerboseTranscription(transcript, task: task, includeWords: includeWords))
        case .text:
            return Self.plain(transcript.text + "\n", contentType: "text/plain; charset=utf-8")
        case .srt:
            return Self.plain(CaptionFormat.srt.render(CaptionBuilder().cues(for: transcript)), contentType: "application/x-subrip; charset=utf-8")
        case .vtt:
            return Self.plain(CaptionFormat.vtt.render(CaptionBuilder().cues(for: transcript)), contentType: "text/vtt; charset=utf-8")
        }
    }

    private static func plain(_ text: String, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// `verbose_json`: OpenAI's shape. Every number is measured: `tokens` are the decoder's token
/// ids, `avg_logprob` their mean log probability, `no_speech_prob` whisper.cpp's; the fields it
/// has no value for (`seek`, `temperature`, `compression_ratio`) are left out, never made up.
struct VerboseTranscription: Encodable {
    struct Segment: Encodable {
        var id: Int
        var start: Double
        var end: Double
        var text: String
        var tokens: [Int]
        var avg_logprob: Double?
        var no_speech_prob: Double?
    }

    struct Word: Encodable {
        var word: String
        var start: Double
        var end: Double
    }

    var task: String
    var language: String
    var duration: Double
    var text: String
    var segments: [Segment]
    var words: [Word]?

    init(_ transcript: Transcript, task: WhisperTask = .transcribe, includeWords: Bool) {
        self.task = task.rawValue
        language = transcript.languageName
        duration = transcript.duration
        text = transcript.text
        segments = transcript.segments.map {
            Segment(id: $0.id, start: $0.start, end: $0.end, text: $0.text, tokens: $0.tokens ?? [],
                    avg_logprob: $0.averageLogProbability, no_speech_prob: $0.noSpeechProbability)
        }
        words = includeWords ? transcript.segments.flatMap { $0.words.map { Word(word: $0.word, start: $0.start, end: $0.end) } } : nil
    }
}
