/// The `subs` group of an HLS master playlist: one `#EXT-X-MEDIA:TYPE=SUBTITLES` line per caption
/// track, and `SUBTITLES="subs"` on every variant while the group has a track. Used when the
/// owner adds, replaces or deletes a track after processing.
public enum HLSSubtitleGroup {
    /// The master with the track of `language` (`subs/<language>.m3u8`) in the group: added when
    /// missing, its name updated when present.
    public static func setting(language: String, name: String, isDefault: Bool, autoselect: Bool = true, in master: String) -> String {
        var lines = removingLines(of: language, from: master)
        let tag = #"#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="\#(name.replacingOccurrences(of: "\"", with: "'"))",LANGUAGE="\#(language)","#
            + #"DEFAULT=\#(isDefault ? "YES" : "NO"),AUTOSELECT=\#(autoselect ? "YES" : "NO"),URI="subs/\#(language).m3u8""#
        let insertAt = lines.firstIndex { $0.hasPrefix("#EXT-X-STREAM-INF") } ?? lines.count
        lines.insert(tag, at: insertAt)
        return withGroupOnVariants(lines, present: true)
    }

    /// The master without the track of `language`; variants lose `SUBTITLES` when none is left.
    public static func removing(language: String, from master: String) -> String {
        let lines = removingLines(of: language, from: master)
        return withGroupOnVariants(lines, present: lines.contains { $0.hasPrefix("#EXT-X-MEDIA:TYPE=SUBTITLES") })
    }

    /// A subtitle media playlist with one WebVTT segment covering the whole video.
    public static func playlist(vttURI: String, duration: Double) -> String {
        let seconds = duration.isFinite ? max(0, duration) : 0
        let target = max(1, Int(seconds.rounded(.up)))
        return ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:\(target)", "#EXT-X-MEDIA-SEQUENCE:0",
                "#EXT-X-PLAYLIST-TYPE:VOD", "#EXTINF:\(String(format: "%.3f", seconds)),", vttURI, "#EXT-X-ENDLIST", ""].joined(separator: "\n")
    }

    private static func removingLines(of language: String, from master: String) -> [String] {
        master.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter {
            !($0.hasPrefix("#EXT-X-MEDIA:TYPE=SUBTITLES") && $0.contains(#"LANGUAGE="\#(language)""#))
        }
    }

    private static func withGroupOnVariants(_ lines: [String], present: Bool) -> String {
        lines.map { line in
            guard line.hasPrefix("#EXT-X-STREAM-INF") else { return line }
            let bare = line.replacingOccurrences(of: #",SUBTITLES="subs""#, with: "")
            return present ? bare + #",SUBTITLES="subs""# : bare
        }.joined(separator: "\n")
    }
}
