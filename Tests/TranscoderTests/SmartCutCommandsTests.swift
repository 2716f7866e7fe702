import Testing
import Transcoder

@Suite("The smart cut's ffmpeg commands")
struct SmartCutCommandsTests {
    static let rung = Rung(name: "360p", width: 640, height: 360, maxRate: 800_000, bufferSize: 1_600_000, frameRate: 30, isRemux: false)

    /// The options of the output written to `file`: the arguments after `previous` (the output
    /// before it, or the last input) up to `file`.
    static func options(_ arguments: [String], after previous: String, upTo file: String) -> ArraySlice<String> {
        guard let start = arguments.lastIndex(of: previous), let end = arguments.firstIndex(of: file), start < end else { return [] }
        return arguments[(start + 1)..<end]
    }

    @Test("every piece in one run: one input per piece at its start, each output its own map, copy count or length and codec")
    func pieces() {
        let arguments = SmartCutCommands.pieces([
            .init(piece: .encode(from: 3.3, to: 4), packets: nil, output: "/w/piece-0.mp4"),
            .init(piece: .copy(from: 4, to: 8), packets: 120, output: "/w/piece-1.mp4"),
            .init(piece: .encode(from: 8, to: 9.5), packets: nil, output: "/w/piece-2.mp4"),
        ], input: .file("/r/360p.mp4"), rung: Self.rung, options: EncodingOptions())
        let inputs = arguments.indices.filter { arguments[$0] == "-i" }
        #expect(inputs.count == 3)
        #expect(inputs.compactMap { arguments[..<$0].lastIndex(of: "-ss").map { arguments[$0 + 1] } } == ["3.300000", "4.000000", "8.000000"])
        let first = Self.options(arguments, after: "/r/360p.mp4", upTo: "/w/piece-0.mp4")
        let second = Self.options(arguments, after: "/w/piece-0.mp4", upTo: "/w/piece-1.mp4")
        let third = Self.options(arguments, after: "/w/piece-1.mp4", upTo: "/w/piece-2.mp4")
        #expect(first.contains("0:v:0") && first.contains("libx264") && first.contains("0.700000") && !first.contains("-frames:v"))
        #expect(second.contains("1:v:0") && second.contains("copy") && second.contains("120") && !second.contains("libx264"))
        #expect(third.contains("2:v:0") && third.contains("libx264") && third.contains("1.500000"))
        #expect(arguments.last == "/w/piece-2.mp4" && inputs.allSatisfy { $0 < arguments.firstIndex(of: "-map") ?? 0 })
        let edge = ["-x264-params", "me=dia:subme=1:b-adapt=0:rc-lookahead=5"]
        #expect(first.contains(edge[1]) && third.contains(edge[1]) && !second.contains("-x264-params"))
    }

    @Test("the join's list: each piece but the last with its exact length, quotes in a path escaped")
    func concatList() {
        let list = SmartCutCommands.concatList([(path: "/w/piece-0.mp4", seconds: 0.3003), (path: "/w/it's.mp4", seconds: nil)])
        #expect(list == "file '/w/piece-0.mp4'\nduration 0.300300\nfile '/w/it'\\''s.mp4'\n")
    }

    @Test("each piece starts at its first frame; an encoded one stops after its frames (not its length alone), at their own times")
    func encodedFrames() {
        let arguments = SmartCutCommands.pieces([
            .init(piece: .encode(from: 1.7, to: 2.002), packets: 9, firstFrame: 1.7017, output: "/w/piece-0.mp4"),
            .init(piece: .copy(from: 2.010, to: 4.004), packets: 60, firstFrame: 2.002, output: "/w/piece-1.mp4"),
        ], input: .file("/r/360p.mp4"), rung: Self.rung, options: EncodingOptions())
        let inputs = arguments.indices.filter { arguments[$0] == "-i" }
        // Each piece opened at its first frame: the copy at its keyframe, not just after it.
        #expect(inputs.compactMap { arguments[..<$0].lastIndex(of: "-ss").map { arguments[$0 + 1] } } == ["1.701700", "2.002000"])
        let first = Self.options(arguments, after: "/r/360p.mp4", upTo: "/w/piece-0.mp4")
        #expect(first.contains("libx264") && first.firstIndex(of: "-frames:v").map { first[$0 + 1] } == "9")
        // The frames' own times: a constant-rate output would repeat a variable-rate rendition's.
        #expect(first.firstIndex(of: "-fps_mode").map { first[$0 + 1] } == "passthrough")
        // And a length half a frame past the piece: it ends the piece's input (a run of several
        // outputs otherwise decodes it on) and never cuts one of its frames.
        #expect(first.firstIndex(of: "-t").map { first[$0 + 1] } == "0.318667")
    }

    @Test("edges take the cheaper analysis under the presets it speeds up; a whole encode, or another preset, keeps the preset's own")
    func edgeAnalysis() {
        let whole = SmartCutCommands.pieces(
            [.init(piece: .encode(from: 4.5, to: 5.7), packets: nil, output: "/w/piece-0.mp4")], input: .file("/r/360p.mp4"), rung: Self.rung,
            options: EncodingOptions())
        #expect(whole.contains("libx264") && !whole.contains("-x264-params"))
        let medium = SmartCutCommands.pieces([
            .init(piece: .encode(from: 3.3, to: 4), packets: nil, output: "/w/piece-0.mp4"),
            .init(piece: .copy(from: 4, to: 8), packets: nil, output: "/w/piece-1.mp4"),
        ], input: .file("/r/360p.mp4"), rung: Self.rung, options: EncodingOptions(preset: "medium"))
        #expect(medium.contains("medium") && !medium.contains("-x264-params"))  // subme 7: psy-RD would change the PPS
        #expect(SmartCutCommands.edgeAnalysis(preset: "faster").count == 2 && SmartCutCommands.edgeAnalysis(preset: "slow").isEmpty)
    }

    @Test("the sound cut at the first piece's start and encoded once in the pieces' run; none asked, none written")
    func sound() {
        let pieces: [SmartCutCommands.PieceOutput] = [
            .init(piece: .encode(from: 3.3, to: 4), packets: nil, output: "/w/piece-0.mp4"),
            .init(piece: .copy(from: 4, to: 8), packets: 120, output: "/w/piece-1.mp4"),
        ]
        let arguments = SmartCutCommands.pieces(
            pieces, input: .file("/r/360p.mp4"), rung: Self.rung, options: EncodingOptions(), sound: (file: "/w/sound.m4a", seconds: 6.2))
        let sound = Self.options(arguments, after: "/w/piece-1.mp4", upTo: "/w/sound.m4a")
        #expect(arguments.last == "/w/sound.m4a" && sound.contains("2:a:0") && sound.contains("-vn") && sound.contains("6.200000"))
        // Its own input, opened at the first piece's start and read for the sound's length only.
        let inputs = arguments.indices.filter { arguments[$0] == "-i" }
        #expect(inputs.count == 3 && inputs.allSatisfy { $0 < arguments.firstIndex(of: "-map") ?? 0 })
        #expect(arguments[..<inputs[2]].suffix(6).elementsEqual(["-ss", "3.300000", "-t", "6.200000", "-protocol_whitelist", "file,pipe"]))
        #expect(sound.contains("aac") && sound.contains("128k") && !sound.contains("libx264"))
        // On the clip's timeline from 0: silence up to a sound that begins late.
        #expect(sound.firstIndex(of: "-af").map { sound[$0 + 1] } == "aresample=async=1:min_hard_comp=0.01:first_pts=0")
        let silent = SmartCutCommands.pieces(pieces, input: .file("/r/360p.mp4"), rung: Self.rung, options: EncodingOptions())
        #expect(!silent.contains("aac") && silent.last == "/w/piece-1.mp4")
    }

    @Test("the join: the clip's sound copied for no longer than the cut, or none; captions as mov_text in the MP4 only; MP4 and HLS outputs")
    func join() {
        let copied = SmartCutCommands.join(
            list: "/w/l.txt", seconds: 6.2, sound: "/w/sound.m4a", output: "/w/c.mp4", hlsDirectory: "/w/hls",
            captions: [(path: "/w/en.vtt", language: "en", title: "English"), (path: "/w/fr.vtt", language: "fr", title: nil)])
        #expect(!copied.contains("aac") && copied.last == "/w/hls/index.m3u8" && copied.contains("/w/hls/seg_%05d.m4s"))
        let at = copied.firstIndex(of: "/w/sound.m4a") ?? 0
        #expect(copied[..<at].suffix(6).contains("-t") && copied[..<at].suffix(6).contains("6.200000"))
        #expect(copied.filter { $0 == "1:a:0" }.count == 2 && copied.contains("copy"))
        let mp4 = Self.options(copied, after: "/w/fr.vtt", upTo: "/w/c.mp4")
        let hls = Self.options(copied, after: "/w/c.mp4", upTo: "/w/hls/index.m3u8")
        #expect(mp4.contains("2:s") && mp4.contains("3:s") && mp4.contains("mov_text") && mp4.contains("language=eng") && mp4.contains("language=fra"))
        #expect(!hls.contains("2:s") && !hls.contains("mov_text"))
        let silent = SmartCutCommands.join(list: "/w/l.txt", seconds: 6.2, sound: nil, output: "/w/c.mp4", captions: [(path: "/w/en.vtt", language: "en", title: nil)])
        #expect(!silent.contains("1:a:0") && silent.contains("1:s") && silent.filter { $0 == "-i" }.count == 2 && silent.last == "/w/c.mp4")
    }
}
