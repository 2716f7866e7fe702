import Foundation
import Testing

@testable import Transcoder

@Suite("ffprobe's report read as untrusted input: never a trap, a neutral default or a named rejection")
struct MediaProbeTests {
    /// ffprobe JSON with one video stream (and optionally audio), each field overridable.
    static func report(video: [String: Any] = [:], audio: [String: Any]? = nil, format: [String: Any] = [:], extraStreams: Int = 0) -> Data {
        var stream: [String: Any] = [
            "codec_type": "video", "codec_name": "h264", "width": 320, "height": 240, "avg_frame_rate": "25/1", "r_frame_rate": "25/1",
            "sample_aspect_ratio": "1:1", "pix_fmt": "yuv420p",
        ]
        stream.merge(video) { $1 }
        var streams: [[String: Any]] = [stream]
        if let audio {
            var audioStream: [String: Any] = ["codec_type": "audio", "codec_name": "aac", "channels": 2, "sample_rate": "48000"]
            audioStream.merge(audio) { $1 }
            streams.append(audioStream)
        }
        streams += Array(repeating: ["codec_type": "audio", "codec_name": "aac"], count: extraStreams)
        var formatFields: [String: Any] = ["format_name": "matroska,webm", "duration": "2.000000"]
        formatFields.merge(format) { $1 }
        return (try? JSONSerialization.data(withJSONObject: ["streams": streams, "format": formatFields])) ?? Data()
    }

    static func parse(_ data: Data) throws -> MediaProbe { try MediaProbe(ffprobeJSON: data) }

    @Test("a rotate tag of 1e300, nan, -inf or a huge integer is ignored (0) with a note; 90 and -90 are kept")
    func absurdRotation() throws {
        for value in ["1e300", "nan", "-inf", "inf", "99999999999999999999", "1e-300x", String(repeating: "9", count: 400)] {
            let probe = try Self.parse(Self.report(video: ["tags": ["rotate": value]]))
            #expect(probe.video?.rotation == 0, "\(value)")
            #expect(!probe.notes.isEmpty, "\(value) noted")
        }
        #expect(try Self.parse(Self.report(video: ["tags": ["rotate": "90"]])).video?.rotation == 90)
        #expect(try Self.parse(Self.report(video: ["tags": ["ROTATE": "-90"]])).video?.rotation == 270)
        let matrix: [String: Any] = ["side_data_list": [["side_data_type": "Display Matrix", "rotation": 1e300]]]
        #expect(try Self.parse(Self.report(video: matrix)).video?.rotation == 0)
        #expect(try Self.parse(Self.report(video: ["side_data_list": [["side_data_type": "Display Matrix", "rotation": -90]]])).video?.rotation == 90)
    }

    @Test("frame rates with a zero or huge denominator, 0/0 or absurd values fall back to the other field or 25 (assumed)")
    func absurdFrameRates() throws {
        let fallback = try Self.parse(Self.report(video: ["avg_frame_rate": "0/0", "r_frame_rate": "30000/1001"]))
        #expect(abs((fallback.video?.frameRate ?? 0) - 29.97) < 0.01 && fallback.video?.frameRateIsAssumed == false)
        for (avg, r) in [("0/0", "0/0"), ("1/0", "1e309/1"), ("1000000000/1", "90000/1"), ("6577/28248", "-25/1"), ("nan/1", "25/0")] {
            let probe = try Self.parse(Self.report(video: ["avg_frame_rate": avg, "r_frame_rate": r]))
            #expect(probe.video?.frameRate == 25 && probe.video?.frameRateIsAssumed == true, "\(avg) \(r)")
            #expect(!probe.notes.isEmpty)
            // The encode then sets the rate itself instead of following the file's timestamps.
            let command = LadderCommand(source: .file("s"), probe: probe, rungs: Ladder.rungs(for: probe), outputDirectory: "/o")
            #expect(command.arguments.contains { $0.contains("fps=25") }, "\(avg) \(r)")
        }
    }

    @Test("durations that are not finite and positive are unknown (to be measured); past the policy the limit is named")
    func durations() throws {
        for value: Any in ["inf", "nan", "-5.000000", "0", "1e400", "abc", -1, 0] {
            let probe = try Self.parse(Self.report(format: ["duration": value]))
            #expect(!probe.hasDuration && probe.duration == 0, "\(value)")
            #expect(throws: MediaProbe.Rejection.noDuration) { try MediaPolicy().check(probe) }
        }
        let long = try Self.parse(Self.report(format: ["duration": "36000.000000"]))
        #expect(throws: MediaProbe.Rejection.tooLong(seconds: 36000, limit: 14400)) { try MediaPolicy().check(long) }
        #expect(MediaProbe.Rejection.tooLong(seconds: 36000, limit: 14400).description == "the video is 10 h long; the limit is 4 h")
        #expect(try Self.parse(Self.report(format: ["duration": "1e300"])).duration == 1e300)
        #expect(throws: MediaProbe.Rejection.self) { try MediaPolicy().check(try Self.parse(Self.report(format: ["duration": "1e300"]))) }
    }

    @Test("sizes: missing, zero, negative or non-integral sizes are damaged; a declared huge frame is past the limit")
    func sizes() throws {
        for (width, height) in [(0, 240), (-320, 240), (320, 0)] as [(Any, Any)] {
            #expect(throws: MediaProbe.Rejection.damaged) { try Self.parse(Self.report(video: ["width": width, "height": height])) }
        }
        #expect(throws: MediaProbe.Rejection.damaged) { try Self.parse(Self.report(video: ["width": 1e300])) }
        #expect(throws: MediaProbe.Rejection.damaged) { try Self.parse(Self.report(video: ["width": "nan"])) }
        let bomb = try Self.parse(Self.report(video: ["width": 30000, "height": 30000]))
        #expect(throws: MediaProbe.Rejection.frameTooLarge(width: 30000, height: 30000, policy: "8192×8192 and 40 megapixels")) {
            try MediaPolicy().check(bomb)
        }
        let wide = try Self.parse(Self.report(video: ["width": 8000, "height": 6000]))  // 48 MP, each side under 8192
        #expect(throws: MediaProbe.Rejection.self) { try MediaPolicy().check(wide) }
        #expect(MediaProbe.Rejection.frameTooLarge(width: 30000, height: 30000, policy: MediaPolicy().frameLimit).description
            == "the frame is 30000×30000; the limit is 8192×8192 and 40 megapixels")
    }

    @Test("sample aspect ratios out of 1/16…16 are ignored; audio channel and rate absurdities fall back")
    func aspectAndAudio() throws {
        for sar in ["100:1", "0:1", "1:0", "inf:1", "1:1000"] {
            #expect(try Self.parse(Self.report(video: ["sample_aspect_ratio": sar])).video?.sampleAspectRatio == 1, "\(sar)")
        }
        let probe = try Self.parse(Self.report(audio: ["channels": 100_000, "sample_rate": "1e300"]))
        #expect(probe.audio?.channels == 2 && probe.audio?.sampleRate == 48000)
        #expect(try Self.parse(Self.report(video: ["bit_rate": "-5"], format: ["bit_rate": 1e300])).bitRate == nil)
    }

    @Test("kinds: audio only is an audio video; subtitles, data or a cover picture alone are not a video; too many streams is named")
    func kinds() throws {
        let audioOnly = try MediaProbe(ffprobeJSON: try JSONSerialization.data(withJSONObject: [
            "streams": [["codec_type": "audio", "codec_name": "aac", "channels": 1, "sample_rate": "16000"]],
            "format": ["duration": "3.5"],
        ]))
        #expect(audioOnly.isAudioOnly && audioOnly.video == nil)
        #expect(Ladder.rungs(for: audioOnly).map { "\($0.name) \($0.width)x\($0.height)" } == ["360p 640x360"])
        let command = LadderCommand(
            source: .file("s.m4a"), probe: audioOnly, rungs: Ladder.rungs(for: audioOnly), outputDirectory: "/o", stillPicture: "p.png")
        #expect(command.arguments.contains("p.png") && command.arguments.contains("-shortest"))
        #expect(command.arguments.contains { $0.hasPrefix("[1:v]scale=640:360") })
        for streams in [
            [["codec_type": "subtitle", "codec_name": "subrip"]],
            [["codec_type": "data", "codec_name": "bin_data"]],
            [["codec_type": "video", "codec_name": "png", "width": 320, "height": 240, "disposition": ["attached_pic": 1]]],
            [],
        ] {
            let data = try JSONSerialization.data(withJSONObject: ["streams": streams, "format": ["duration": "1"]])
            #expect(throws: MediaProbe.Rejection.notAVideo) { try MediaProbe(ffprobeJSON: data) }
        }
        let many = try Self.parse(Self.report(audio: [:], extraStreams: 39))
        #expect(throws: MediaProbe.Rejection.tooManyStreams(count: 41, limit: 16)) { try MediaPolicy().check(many) }
        #expect(throws: MediaProbe.Rejection.damaged) { try MediaProbe(ffprobeJSON: Data("not json".utf8)) }
        #expect(throws: MediaProbe.Rejection.damaged) { try MediaProbe(ffprobeJSON: Data("[1,2]".utf8)) }
    }

    @Test("numbers computed from a file convert without trapping; the keyframe option is one short argument")
    func conversions() {
        #expect(Int(clampingRounded: .infinity) == Int(Int32.max))
        #expect(Int(clampingRounded: -.infinity) == Int(Int32.min))
        #expect(Int(clampingRounded: .nan) == 0)
        #expect(Int(clampingRounded: 1e300) == Int(Int32.max))
        #expect(Int(clampingRounded: 2.5) == 3)
        var options = EncodingOptions()
        options.keyframesFromSource = true
        let probe = LadderTests.probe(1280, 720, bitRate: 2_000_000)
        let command = LadderCommand(source: .file("s"), probe: probe, rungs: Ladder.rungs(for: probe), outputDirectory: "/o", options: options)
        #expect(command.arguments.filter { $0 == "source" }.count == 2)  // the two encoded rungs; 720p is copied
        #expect(command.arguments.allSatisfy { $0.utf8.count < 4096 })
        #expect(command.arguments.filter { $0 == "-protocol_whitelist" }.count == 1)
        #expect(MediaPolicy.toolTimeLimit(duration: .infinity, factor: 10) == .seconds(120))
        #expect(MediaPolicy.toolTimeLimit(duration: 60, factor: 10) == .seconds(720))
    }
}
