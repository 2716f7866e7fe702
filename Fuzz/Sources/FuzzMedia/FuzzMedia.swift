import Foundation
import FuzzSupport

/// The input is, at once: a file prefix for the container sniffer, `ffmpeg -progress` output,
/// and cue text for the WebVTT writer, whose output must read back as the same cues.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMedia(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = ContainerSniffer.sniff(bytes)
    let text = String(decoding: bytes, as: UTF8.self)

    var parser = ProgressParser()
    for line in text.split(separator: "\n") {
        if let snapshot = parser.consume(line) {
            let percent = snapshot.percent(of: 10)
            precondition(percent.isFinite && percent >= 0 && percent <= 100, "percent \(percent)")
            if let eta = snapshot.eta(duration: 10) { precondition(eta.isFinite && eta >= 0, "eta \(eta)") }
        }
    }
    _ = WebVTTCues.parse(text)

    // Whatever a transcript says, the VTT we write holds exactly our cues.
    let lines = text.split(separator: "\n", omittingEmptySubsequences: true).prefix(8).map(String.init)
        .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    let cues = lines.enumerated().map { index, line in
        CaptionCue(start: Double(index) * 2, end: Double(index) * 2 + 1.5, lines: [line])
    }
    let document = CaptionFormat.vtt.render(cues)
    let parsed = WebVTTCues.parse(document)
    precondition(parsed.count == cues.count, "wrote \(cues.count) cues, read back \(parsed.count): \(document.debugDescription)")
    for (cue, read) in zip(cues, parsed) {
        precondition(abs(cue.start - read.start) < 0.002 && abs(cue.end - read.end) < 0.002, "timing changed")
    }
    return 0
}

/// The entry point SwiftPM links for this executable.
@_cdecl("FuzzMedia_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzzMedia(data, size) }
}
