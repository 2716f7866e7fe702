import Foundation
import SpeechTestSupport
import Testing

@testable import Whisper

@Suite("Captions: cue cutting, WebVTT and SRT")
struct CaptionTests {
    func words(_ text: String, start: Double, secondsPerWord: Double) -> [TranscriptWord] {
        text.split(separator: " ").enumerated().map { index, word in
            let begin = start + Double(index) * secondsPerWord
            return TranscriptWord(word: String(word), start: begin, end: begin + secondsPerWord * 0.9, probability: 0.9)
        }
    }

    @Test("a long segment is split at word boundaries: ≤ 7 s, ≤ 2 lines of ≤ 42 characters, in order, no overlap")
    func splitsLongSegments() {
        let text = (1...60).map { "word\($0)" }.joined(separator: " ")
        let segment = TranscriptSegment(id: 0, start: 1, end: 31, text: text, words: words(text, start: 1, secondsPerWord: 0.5))
        let cues = CaptionBuilder().cues(for: Transcript(language: "en", languageName: "english", duration: 40, segments: [segment]))
        #expect(cues.count > 1)
        #expect(cues.map(\.text).joined(separator: " ") == text, "every word once, in order")
        for (index, cue) in cues.enumerated() {
            #expect(cue.end - cue.start <= 7.0 + 1e-9)
            #expect(cue.lines.count <= 2)
            #expect(cue.lines.allSatisfy { $0.count <= 42 })
            if index > 0 { #expect(cue.start >= cues[index - 1].end) }
        }
    }

    @Test("cues follow segments and stretch to the segment's end")
    func followsSegments() {
        let first = TranscriptSegment(id: 0, start: 0, end: 2.5, text: "Hello there.", words: words("Hello there.", start: 0.2, secondsPerWord: 0.8))
        let second = TranscriptSegment(id: 1, start: 4, end: 6, text: "General Kenobi.", words: words("General Kenobi.", start: 4.1, secondsPerWord: 0.7))
        let cues = CaptionBuilder().cues(for: Transcript(language: "en", languageName: "english", duration: 7, segments: [first, second]))
        #expect(cues.map(\.text) == ["Hello there.", "General Kenobi."])
        #expect(cues[0].end == 2.5)
        #expect(cues[1].start == 4.1)
    }

    @Test("WebVTT: header, timestamps, escaping; SRT: numbering and comma timestamps")
    func rendering() {
        let cues = [
            CaptionCue(start: 0.5, end: 2.25, lines: ["Tom & Jerry <3", "a --> b"]),
            CaptionCue(start: 3661.001, end: 3662, lines: ["late"]),
        ]
        let vtt = CaptionFormat.vtt.render(cues)
        #expect(vtt.hasPrefix("WEBVTT\n\n"))
        #expect(vtt.contains("00:00:00.500 --> 00:00:02.250\nTom &amp; Jerry &lt;3\na --&gt; b\n"))
        #expect(vtt.contains("01:01:01.001 --> 01:01:02.000\nlate\n"))
        let srt = CaptionFormat.srt.render(cues)
        #expect(srt.hasPrefix("1\n00:00:00,500 --> 00:00:02,250\n"))
        #expect(srt.contains("\n2\n01:01:01,001 --> 01:01:02,000\nlate\n"))
    }

    @Test("line breaks inside a cue's text never end the cue early (a crash scripts/fuzz found)")
    func lineBreaksInsideCues() {
        let cues = [
            CaptionCue(start: 0, end: 1.5, lines: ["\r\n\u{CF}SOptional"]),
            CaptionCue(start: 2, end: 3, lines: ["one\ntwo\rthree\u{2028}four", "  ", ""]),
            CaptionCue(start: 4, end: 5, lines: ["\n"]),
        ]
        let vtt = CaptionFormat.vtt.render(cues)
        #expect(vtt == "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500\n\u{CF}SOptional\n\n2\n00:00:02.000 --> 00:00:03.000\none two three four\n\n"
            + "3\n00:00:04.000 --> 00:00:05.000\n…\n\n")
        let srt = CaptionFormat.srt.render(cues)
        #expect(srt.components(separatedBy: "\n\n").filter { !$0.isEmpty }.count == 3)
    }

    @Test("an empty transcript gives an empty but valid WebVTT document")
    func silence() {
        let cues = CaptionBuilder().cues(for: Transcript(language: "en", languageName: "english", duration: 5, segments: []))
        #expect(cues.isEmpty)
        #expect(CaptionFormat.vtt.render(cues) == "WEBVTT\n\n")
    }

    @Test("tokens are joined into words by their bytes, so a split UTF-8 character comes out whole")
    func wordAssembly() {
        var assembler = WordAssembler()
        let e = Array("é".utf8)
        assembler.append(Array(" caf".utf8), start: 1, end: 1.2, probability: 0.9)
        assembler.append([e[0]], start: 1.2, end: 1.3, probability: 0.8)
        assembler.append([e[1]], start: 1.3, end: 1.4, probability: 0.7)
        assembler.append(Array(" ok".utf8), start: 1.5, end: 1.8, probability: 0.95)
        let words = assembler.finish()
        #expect(words.map(\.word) == ["café", "ok"])
        #expect(words[0].start == 1 && words[0].end == 1.4)
        #expect(words[0].probability == 0.7)
    }
}
