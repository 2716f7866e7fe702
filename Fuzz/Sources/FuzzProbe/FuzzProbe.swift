import Foundation
import FuzzSupport

/// The input is read two ways: as ffprobe's JSON itself, and as a list of values (one per line)
/// dropped into the fields of a well-formed ffprobe report, so that the mutations reach the
/// numbers (rotation, frame rates, sizes, durations, counts) rather than dying in the JSON
/// syntax. Whatever the report says, parsing, the policy, the ladder and its ffmpeg command must
/// not trap, and what they produce must be sane. The input is also read as the HLS media
/// playlist ffmpeg writes while it encodes a rung (``HLSMediaPlaylist``), and as MP4 boxes
/// (``checkMovie(_:)``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProbe(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    checkPlaylist(String(decoding: bytes, as: UTF8.self))
    checkMovie([UInt8](bytes))
    let values = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(jsonValue)
    func value(_ index: Int, _ fallback: Any) -> Any { index < values.count ? values[index] : fallback }
    let video: [String: Any] = [
        "codec_type": value(0, "video"), "codec_name": "h264", "width": value(1, 320), "height": value(2, 240),
        "avg_frame_rate": value(3, "25/1"), "r_frame_rate": value(4, "25/1"), "sample_aspect_ratio": value(5, "1:1"),
        "tags": ["rotate": value(6, "0")], "bit_rate": value(7, "1000"),
        "side_data_list": [["side_data_type": "Display Matrix", "rotation": value(8, 0)]],
        "disposition": ["attached_pic": value(9, 0)], "duration": value(10, "1"),
    ]
    let audio: [String: Any] = ["codec_type": "audio", "codec_name": value(11, "aac"), "channels": value(12, 2), "sample_rate": value(13, "48000")]
    let report: [String: Any] = [
        "streams": [video, audio], "format": ["duration": value(14, "2"), "bit_rate": value(15, "1"), "nb_streams": value(16, 2)],
    ]
    if JSONSerialization.isValidJSONObject(report), let json = try? JSONSerialization.data(withJSONObject: report) { check(json) }
    return 0
}

/// A line as a JSON value: a number when it reads as one, else the string itself.
func jsonValue(_ line: Substring) -> Any {
    if let number = Double(line), number.isFinite { return number }
    return String(line)
}

func check(_ json: Data) {
    guard let probe = try? MediaProbe(ffprobeJSON: json) else { return }
    precondition(probe.duration.isFinite && probe.duration >= 0, "duration \(probe.duration)")
    if let video = probe.video {
        precondition(video.width > 0 && video.height > 0, "size")
        precondition([0, 90, 180, 270].contains(video.rotation), "rotation \(video.rotation)")
        precondition(video.frameRate.isFinite && video.frameRate >= 1 && video.frameRate <= 1000, "frame rate \(video.frameRate)")
        precondition(video.sampleAspectRatio.isFinite && video.sampleAspectRatio > 0, "sar")
    }
    guard (try? MediaPolicy().check(probe)) != nil else { return }
    let rungs = Ladder.rungs(for: probe)
    precondition(!rungs.isEmpty, "an accepted file has rungs")
    for rung in rungs {
        precondition(rung.width >= 2 && rung.height >= 2 && rung.width % 2 == 0 && rung.height % 2 == 0, "rung \(rung)")
        precondition(rung.frameRate > 0 && rung.frameRate <= 60, "rung rate \(rung.frameRate)")
    }
    let command = LadderCommand(source: .file("in"), probe: probe, rungs: rungs, outputDirectory: "/o", stillPicture: "p.png")
    precondition(command.arguments.allSatisfy { $0.utf8.count < 4096 }, "an argument grew")
    _ = MediaPolicy.toolTimeLimit(duration: probe.duration, factor: 10)
}

/// The input as an MP4's `moov` contents (``MovieIndex``, how a clip reads its source's
/// renditions and the packager its rungs) and, split in two, as a fragmented MP4's init and first
/// segment (``FragmentTiming``): whatever the boxes say, reading them does not trap, and what is
/// read is sane or `nil`.
func checkMovie(_ bytes: [UInt8]) {
    if let index = MovieIndex.parse(movie: bytes[...]) {
        precondition(index.duration.isFinite && index.duration >= 0, "movie duration \(index.duration)")
        precondition(index.tracks.reduce(0) { $0 + $1.sampleCount } <= MovieIndex.sampleLimit, "samples past the budget")
        if let video = index.video {
            precondition(video.times.count == video.sampleCount && video.isKeyframe.count == video.sampleCount, "one time and flag per sample")
            precondition(video.times.allSatisfy(\.isFinite), "a time that is not finite")
            if let rate = video.frameRate { precondition(rate.isFinite && rate >= 0, "frame rate \(rate)") }
        }
        if let probe = MediaProbe(index: index) {
            precondition(probe.duration > 0 && (probe.video.map { $0.width > 0 && $0.height > 0 } ?? true), "probe \(probe)")
        }
    }
    let half = bytes.count / 2
    if let delay = FragmentTiming.pictureDelay(initSegment: Array(bytes[..<half]), firstSegment: Array(bytes[half...])) {
        precondition(delay.isFinite && delay >= 0, "picture delay \(delay)")
    }
}

/// Whatever the playlist says, only plain file names with publishable lengths come out, and the
/// playlist published from them reads back as the same segments.
func checkPlaylist(_ text: String) {
    let playlist = HLSMediaPlaylist.parse(text)
    for segment in playlist.segments {
        precondition(HLSMediaPlaylist.isPlainFileName(segment.uri), "segment name \(segment.uri.debugDescription)")
        precondition(HLSMediaPlaylist.segmentLengths.contains(segment.duration), "segment length \(segment.duration)")
    }
    precondition(HLSMediaPlaylist.isPlainFileName(playlist.initURI), "init name \(playlist.initURI.debugDescription)")
    let republished = HLSMediaPlaylist.parse(playlist.text)
    precondition(republished.segments.map(\.uri) == playlist.segments.map(\.uri), "the published playlist reads back differently")
    precondition(republished.ended == playlist.ended && republished.initURI == playlist.initURI, "the published header changed")
}

/// The entry point SwiftPM links for this executable.
@_cdecl("FuzzProbe_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzzProbe(data, size) }
}
