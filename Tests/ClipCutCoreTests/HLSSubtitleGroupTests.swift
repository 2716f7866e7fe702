import ClipCutCore
import Testing

/// The subtitles group of an HLS master and the one-segment subtitle playlist: the one place
/// both processing-service (after transcoding) and upload-service (caption edits) write them.
@Suite("HLS subtitles group")
struct HLSSubtitleGroupTests {
    static let master = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720
        720p/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360
        360p/index.m3u8

        """

    @Test("a subtitle playlist: one WebVTT segment for the whole video; a non-finite duration is 0")
    func playlist() {
        let playlist = HLSSubtitleGroup.playlist(vttURI: "en.vtt", duration: 6.5)
        #expect(playlist.contains("#EXT-X-TARGETDURATION:7\n"))
        #expect(playlist.contains("#EXTINF:6.500,\nen.vtt\n#EXT-X-ENDLIST"))
        #expect(HLSSubtitleGroup.playlist(vttURI: "en.vtt", duration: .infinity).contains("#EXTINF:0.000,"))
        #expect(HLSSubtitleGroup.playlist(vttURI: "en.vtt", duration: -3).contains("#EXT-X-TARGETDURATION:1\n"))
    }

    @Test("tracks added, renamed and removed; variants carry SUBTITLES only while a track is left")
    func tracks() {
        let spanish = HLSSubtitleGroup.setting(language: "es", name: "Spanish", isDefault: true, in: Self.master)
        let both = HLSSubtitleGroup.setting(language: "en", name: "English (translation)", isDefault: false, in: spanish)
        #expect(both.components(separatedBy: "#EXT-X-MEDIA:TYPE=SUBTITLES").count == 3)
        #expect(both.components(separatedBy: #"SUBTITLES="subs""#).count == 3, "each of the two variants once")
        let renamed = HLSSubtitleGroup.setting(language: "en", name: "English", isDefault: false, in: both)
        #expect(renamed.contains(#"NAME="English",LANGUAGE="en""#) && !renamed.contains("(translation)"))
        let none = HLSSubtitleGroup.removing(language: "en", from: HLSSubtitleGroup.removing(language: "es", from: renamed))
        #expect(!none.contains("SUBTITLES"))
        #expect(none.contains("720p/index.m3u8") && none.contains("360p/index.m3u8"))
    }
}
