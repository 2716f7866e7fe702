import Foundation
import Testing

@testable import Transcoder

@Suite("The ladder, ffmpeg progress, playlists and storyboards")
struct LadderTests {
    static func probe(_ width: Int, _ height: Int, codec: String = "h264", rotation: Int = 0, sar: Double = 1, fps: Double = 30,
                      bitRate: Int? = 8_000_000, audio: Bool = true) -> MediaProbe {
        MediaProbe(
            duration: 10, bitRate: bitRate,
            video: .init(codec: codec, width: width, height: height, rotation: rotation, sampleAspectRatio: sar, frameRate: fps,
                         bitRate: bitRate, pixelFormat: "yuv420p"),
            audio: audio ? .init(codec: "aac", channels: 2, sampleRate: 48000, bitRate: 128_000) : nil)
    }

    static func sizes(_ rungs: [Rung]) -> [String] { rungs.map { "\($0.name) \($0.width)x\($0.height)" } }

    @Test("rungs by the short side, never above the source, aspect kept, even sizes")
    func rungs() {
        #expect(Self.sizes(Ladder.rungs(for: Self.probe(1920, 1080))) == ["1080p 1920x1080", "720p 1280x720", "480p 854x480", "360p 640x360"])
        #expect(Self.sizes(Ladder.rungs(for: Self.probe(1080, 1920))) == ["1080p 1080x1920", "720p 720x1280", "480p 480x854", "360p 360x640"])
        #expect(Self.sizes(Ladder.rungs(for: Self.probe(1918, 1078))) == ["720p 1282x720", "480p 854x480", "360p 640x360"])
        #expect(Self.sizes(Ladder.rungs(for: Self.probe(1280, 720))) == ["720p 1280x720", "480p 854x480", "360p 640x360"])
        #expect(Self.sizes(Ladder.rungs(for: Self.probe(426, 240))) == ["240p 426x240"])
        #expect(Self.sizes(Ladder.rungs(for: Self.probe(175, 99))) == ["98p 174x98"])
        // A phone video stored landscape with a 90° display matrix is portrait.
        #expect(Self.sizes(Ladder.rungs(for: Self.probe(1920, 1080, rotation: 90))) == ["1080p 1080x1920", "720p 720x1280", "480p 480x854", "360p 360x640"])
        // Anamorphic DVD: 720x576 with 16:15 pixels shows as 768x576.
        #expect(Self.sizes(Ladder.rungs(for: Self.probe(720, 576, sar: 16.0 / 15.0))) == ["480p 640x480", "360p 480x360"])
        #expect(Ladder.rungs(for: Self.probe(1920, 1080, fps: 120)).allSatisfy { $0.frameRate == 60 })
    }

    @Test("a rung is a remux only for H.264 at its exact size, under its cap, with AAC or no audio")
    func remux() {
        #expect(Ladder.rungs(for: Self.probe(1280, 720, bitRate: 2_000_000)).map(\.isRemux) == [true, false, false])
        #expect(Ladder.rungs(for: Self.probe(1280, 720, bitRate: 4_000_000)).map(\.isRemux) == [false, false, false])
        #expect(Ladder.rungs(for: Self.probe(1280, 720, codec: "hevc", bitRate: 2_000_000)).allSatisfy { !$0.isRemux })
        #expect(Ladder.rungs(for: Self.probe(1920, 1080, rotation: 90, bitRate: 1_000_000)).allSatisfy { !$0.isRemux })
    }

    @Test("one decode: a cascaded split graph with one labelled branch per encoded rung, keyframes every 2 s")
    func command() {
        let probe = Self.probe(1920, 1080, bitRate: 9_000_000)
        let rungs = Ladder.rungs(for: probe)
        let command = LadderCommand(source: .file("in.mp4"), probe: probe, rungs: rungs, outputDirectory: "/tmp/x", options: .init(threadsPerEncoder: 1))
        let graph = command.arguments[command.arguments.firstIndex(of: "-filter_complex")! + 1]
        #expect(graph == "[0:v]scale=1920:1080:flags=bicubic,setsar=1,split=2[v0][c0];[c0]scale=1280:720:flags=bicubic,setsar=1,split=2[v1][c1];"
            + "[c1]scale=854:480:flags=bicubic,setsar=1,split=2[v2][c2];[c2]scale=640:360:flags=bicubic,setsar=1[v3]")
        #expect(command.arguments.filter { $0 == "-i" }.count == 1)
        #expect(command.arguments.filter { $0 == "libx264" }.count == 4)
        #expect(command.arguments.filter { $0 == "expr:gte(t,n_forced*2)" }.count == 4)
        #expect(Set(command.outputs.keys) == ["1080p", "720p", "480p", "360p"])
        let flat = LadderCommand(source: .file("in.mp4"), probe: probe, rungs: rungs, outputDirectory: "/tmp/x", options: .init(cascadedScaling: false))
        #expect(flat.arguments.contains { $0.hasPrefix("[0:v]split=4[s0][s1][s2][s3];") })

        let remuxable = Self.probe(1280, 720, bitRate: 2_000_000)
        let mixed = LadderCommand(source: .file("in.mp4"), probe: remuxable, rungs: Ladder.rungs(for: remuxable), outputDirectory: "/o")
        #expect(mixed.arguments.filter { $0 == "libx264" }.count == 2)
        #expect(mixed.arguments.contains("copy"))
        #expect(EncodingOptions.threads(encoders: 4, cores: 2) == 2)
        #expect(EncodingOptions.threads(encoders: 1, cores: 8) == 8)
        #expect(EncodingOptions.threads(encoders: 4, cores: 16) == 4)
        #expect(LadderCommand.escapeFilterValue("/tmp/a:b,c'd.vtt") == #"/tmp/a\:b\,c\'d.vtt"#)
    }

    @Test("the keyframe expression: one more keyframe only when it comes before the first multiple")
    func expression() {
        #expect(LadderCommand.forcedKeyframes(every: 2, first: nil) == "expr:gte(t,n_forced*2)")
        #expect(LadderCommand.forcedKeyframes(every: 2, first: 1) == "expr:gte(t,if(lt(n_forced,2),n_forced*1,(n_forced-1)*2))")
        #expect(LadderCommand.forcedKeyframes(every: 2, first: 2) == "expr:gte(t,n_forced*2)")
        #expect(LadderCommand.forcedKeyframes(every: 2, first: 0) == "expr:gte(t,n_forced*2)")
        #expect(!HLSSegmenting.output(directory: "/d").contains("-hls_init_time"))
        #expect(HLSSegmenting.output(directory: "/d", firstSegmentSeconds: 1).contains("-hls_init_time"))
    }

    @Test("ffmpeg -progress blocks: percent, fps, speed, ETA; malformed lines ignored")
    func progress() {
        var parser = ProgressParser()
        let text = """
            frame=120
            fps=59.94
            bitrate= 812.3kbits/s
            out_time_us=4000000
            out_time_ms=4000000
            speed=2.00x
            progress=continue
            garbage line
            out_time_us=not-a-number
            speed=N/A
            out_time_us=10000000
            progress=end
            """
        let snapshots = text.split(separator: "\n").compactMap { parser.consume($0) }
        #expect(snapshots.count == 2)
        #expect(snapshots[0].outTime == 4 && snapshots[0].fps == 59.94 && snapshots[0].speed == 2)
        #expect(snapshots[0].percent(of: 10) == 40)
        #expect(snapshots[0].eta(duration: 10) == 3)
        #expect(snapshots[1].isEnd && snapshots[1].percent(of: 10) == 100 && snapshots[1].speed == nil)
    }

    @Test("master playlist, subtitle playlist, codec strings, storyboard and WebVTT cues")
    func playlists() {
        let master = HLSMasterPlaylist(
            variants: [.init(name: "720p", bandwidth: 3_000_000, averageBandwidth: 2_500_000, width: 1280, height: 720, frameRate: 30,
                             codecs: "avc1.64001f,mp4a.40.2", uri: "720p/index.m3u8")],
            subtitles: [.init(language: "en", name: "English", uri: "subs/en.m3u8")]).text
        #expect(master.contains(#"#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,URI="subs/en.m3u8""#))
        #expect(master.contains(#"BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2500000,RESOLUTION=1280x720,FRAME-RATE=30.000,CODECS="avc1.64001f,mp4a.40.2",SUBTITLES="subs""#))
        #expect(HLSMasterPlaylist.avcCodec(profile: "High", level: 31) == "avc1.64001f")
        #expect(HLSMasterPlaylist.avcCodec(profile: "Constrained Baseline", level: 30) == "avc1.42401e")

        let board = Storyboard(duration: 250, width: 1920, height: 1080)
        #expect(board.interval == 3 && board.count == 84 && board.columns == 10 && board.rows == 9 && board.tileHeight == 90)
        let track = board.track(duration: 250)
        #expect(track.hasPrefix("WEBVTT"))
        #expect(track.contains("00:00:03.000 --> 00:00:06.000\nstoryboard.jpg#xywh=160,0,160,90"))
        #expect(track.contains("storyboard.jpg#xywh=480,720,160,90"))

        let cues = WebVTTCues.parse("WEBVTT\n\n1\n00:00:00.000 --> 00:00:03.000\nThe quick fox\njumps.\n\nNOTE hi\n\n00:01:03.410 --> 01:00:06.000 align:start\nAgain.\n")
        #expect(cues == [.init(start: 0, end: 3, text: "The quick fox jumps."), .init(start: 63.41, end: 3606, text: "Again.")])
    }

    @Test("ffprobe JSON: rotation from the display matrix, sample aspect ratio, attached pictures skipped; sound alone accepted")
    func probeParsing() throws {
        let json = """
            {"streams":[{"codec_type":"video","codec_name":"mjpeg","width":300,"height":300,"disposition":{"attached_pic":1}},
            {"codec_type":"video","codec_name":"h264","width":1920,"height":1080,"pix_fmt":"yuv420p","sample_aspect_ratio":"1:1",
             "avg_frame_rate":"30000/1001","side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]},
            {"codec_type":"audio","codec_name":"aac","channels":2,"sample_rate":"48000"}],
             "format":{"format_name":"mov,mp4","duration":"12.5","bit_rate":"5000000"}}
            """
        let probe = try MediaProbe(ffprobeJSON: Data(json.utf8))
        #expect(probe.video?.rotation == 90 && probe.video?.displayWidth == 1080 && probe.video?.displayHeight == 1920)
        #expect(abs((probe.video?.frameRate ?? 0) - 29.97) < 0.01)
        #expect(probe.duration == 12.5 && probe.audio?.codec == "aac")
        // Sound alone is an audio video (a picture with the sound); a report that is no JSON is damaged.
        let audio = try MediaProbe(ffprobeJSON: Data(#"{"streams":[{"codec_type":"audio","codec_name":"mp3"}],"format":{"duration":"3"}}"#.utf8))
        #expect(audio.isAudioOnly && audio.duration == 3)
        #expect(throws: MediaProbe.Rejection.damaged) { try MediaProbe(ffprobeJSON: Data("not json".utf8)) }
        let undated = try MediaProbe(ffprobeJSON: Data(#"{"streams":[{"codec_type":"video","codec_name":"png","width":10,"height":10}],"format":{}}"#.utf8))
        #expect(!undated.hasDuration)
        #expect(throws: MediaProbe.Rejection.noDuration) { try MediaPolicy().check(undated) }
    }
}
