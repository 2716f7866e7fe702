import Foundation
import Testing

@testable import Transcoder

@Suite("A rung's HLS media playlist: read while ffmpeg writes it, published as it grows")
struct HLSMediaPlaylistTests {
    static let written = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-TARGETDURATION:2
        #EXT-X-MEDIA-SEQUENCE:0
        #EXT-X-PLAYLIST-TYPE:EVENT
        #EXT-X-MAP:URI="init.mp4"
        #EXTINF:2.000000,
        seg_00000.m4s
        #EXTINF:2.066667,
        seg_00001.m4s

        """

    @Test("ffmpeg's playlist: the init segment, every complete entry, no end yet")
    func parse() {
        let playlist = HLSMediaPlaylist.parse(Self.written)
        #expect(playlist.initURI == "init.mp4")
        #expect(playlist.segments == [.init(duration: 2, uri: "seg_00000.m4s"), .init(duration: 2.066667, uri: "seg_00001.m4s")])
        #expect(!playlist.ended)
        #expect(abs(playlist.duration - 4.066667) < 1e-9)
        #expect(HLSMediaPlaylist.parse(Self.written + "#EXT-X-ENDLIST\n").ended)
    }

    @Test("a file read half-written yields fewer segments, never a wrong one")
    func halfWritten() {
        // Cut inside the last file name: that entry is left out.
        #expect(HLSMediaPlaylist.parse(String(Self.written.dropLast(5))).segments.map(\.uri) == ["seg_00000.m4s"])
        // Cut after an #EXTINF with no name yet.
        #expect(HLSMediaPlaylist.parse(String(Self.written.dropLast(15))).segments.count == 1)
        #expect(HLSMediaPlaylist.parse("").segments.isEmpty)
    }

    @Test("names with a path, a scheme or hidden are not segments; neither is a bad length")
    func hostileNames() {
        for name in ["../seg.m4s", "/etc/passwd", "http://x/seg.m4s", ".hidden", "a b.m4s"] {
            let text = "#EXTM3U\n#EXTINF:2.0,\n\(name)\n#EXTINF:2.0,\nseg_00001.m4s\n"
            #expect(HLSMediaPlaylist.parse(text).segments.isEmpty, "\(name)")
        }
        // A length the published playlist could not carry: under a millisecond prints as 0, and
        // 1e300 s has no whole-second target duration.
        for length in ["nan", "-2", "0", "inf", "x", "1e-9", "0.0004", "1e300", "3601"] {
            #expect(HLSMediaPlaylist.parse("#EXTINF:\(length),\nseg_00000.m4s\n").segments.isEmpty, "\(length)")
        }
        #expect(HLSMediaPlaylist.parse("#EXT-X-MAP:URI=\"../init.mp4\"\n").initURI == "init.mp4")
    }

    @Test("published as an EVENT playlist that grows, ended with #EXT-X-ENDLIST; read back the same")
    func published() {
        var playlist = HLSMediaPlaylist.parse(Self.written)
        let growing = playlist.text
        #expect(growing.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && growing.contains("#EXT-X-TARGETDURATION:3"))
        #expect(growing.contains(#"#EXT-X-MAP:URI="init.mp4""#) && !growing.contains("ENDLIST"))
        #expect(HLSMediaPlaylist.parse(growing) == playlist)
        playlist.ended = true
        #expect(playlist.text.hasSuffix("seg_00001.m4s\n#EXT-X-ENDLIST\n"))
        #expect(HLSMediaPlaylist.parse(playlist.text) == playlist)
    }

    @Test("the ladder in HLS mode: each encoded rung into its own directory as 2 s fMP4 segments; a copied rung left out")
    func ladderInHLSMode() throws {
        let probe = LadderTests.probe(1280, 720, bitRate: 2_000_000)
        let rungs = Ladder.rungs(for: probe)
        let command = LadderCommand(source: .file("in.mp4"), probe: probe, rungs: rungs, outputDirectory: "/w", hlsSegmentSeconds: 2)
        #expect(command.outputs == ["480p": "/w/hls-480p", "360p": "/w/hls-360p"])
        #expect(command.arguments.filter { $0 == "libx264" }.count == 2 && !command.arguments.contains("copy"))
        #expect(command.arguments.contains("/w/hls-480p/index.m3u8") && command.arguments.contains("/w/hls-360p/seg_%05d.m4s"))
        #expect(!command.arguments.contains("+faststart"))
        let copy = HLSSegmenting.copy(source: .file("in.mp4"), hasAudio: true, directory: "/w/hls-720p")
        #expect(copy.contains("copy") && copy.contains("/w/hls-720p/index.m3u8") && copy.contains("0:a:0"))
        let index = try #require(copy.firstIndex(of: "-hls_time"))
        #expect(copy[index + 1] == "2")
    }
}

@Suite("The master playlist's codec strings")
struct HLSCodecStringTests {
    @Test("from an init segment's avcC box: profile, constraints and level as declared; none without one")
    func fromInitSegment() {
        // ... 'avcC' version 1, High (0x64), no constraints, level 4.0 (0x28) ...
        let box: [UInt8] = [0, 0, 0, 20] + Array("avcC".utf8) + [1, 0x64, 0x00, 0x28, 0xff]
        #expect(HLSMasterPlaylist.avcCodec(initSegment: [9, 9] + box) == "avc1.640028")
        #expect(HLSMasterPlaylist.avcCodec(initSegment: Array("moovtrak".utf8)) == nil)
        #expect(HLSMasterPlaylist.avcCodec(initSegment: []) == nil)
    }

    @Test("from ffprobe's names: an unknown level (-99) is not written as ffffff9d")
    func fromProbe() {
        #expect(HLSMasterPlaylist.avcCodec(profile: "High", level: -99) == "avc1.640028")
        #expect(HLSMasterPlaylist.avcCodec(profile: "Main", level: 31) == "avc1.4d001f")
    }
}
