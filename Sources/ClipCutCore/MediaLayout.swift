/// Where a video's media lives in GridFS: the names upload-service serves and
/// processing-service writes. Names are deterministic, so a retried job replaces its outputs
/// instead of adding more.
///
/// - Bucket ``sourceBucket`` (`uploads`): the sources as uploaded, one file per video, with
///   `metadata.videoId` and `metadata.owner`.
/// - Bucket ``mediaBucket`` (`media`): everything derived, named `<videoId>/…` and carrying
///   `metadata.videoId`:
///   - `<videoId>/<quality>/video.mp4`: progressive MP4 of a rung (`metadata.quality`,
///     `metadata.width`, `metadata.height`, `metadata.bitrate`);
///   - `<videoId>/hls/master.m3u8` and the files it references below `<videoId>/hls/`;
///   - `<videoId>/captions/<lang>.vtt`;
///   - `<videoId>/poster.jpg`, `<videoId>/storyboard.jpg`, `<videoId>/storyboard.vtt`.
public enum MediaLayout {
    /// GridFS bucket of uploaded sources.
    public static let sourceBucket = "uploads"
    /// GridFS bucket of renditions, playlists, segments, captions and images.
    public static let mediaBucket = "media"

    /// The progressive MP4 of rung `quality` (e.g. `720p`).
    public static func renditionMP4(_ videoId: VideoID, quality: String) -> String {
        "\(videoId)/\(quality)/video.mp4"
    }

    /// The HLS master playlist.
    public static func hlsMaster(_ videoId: VideoID) -> String {
        "\(videoId)/hls/master.m3u8"
    }

    /// A file of the HLS tree, by its path relative to the master playlist (e.g. `720p/seg_00001.m4s`).
    public static func hlsFile(_ videoId: VideoID, path: String) -> String {
        "\(videoId)/hls/\(path)"
    }

    /// The WebVTT caption track in `language`.
    public static func captions(_ videoId: VideoID, language: String) -> String {
        "\(videoId)/captions/\(language).vtt"
    }

    /// The poster image.
    public static func poster(_ videoId: VideoID) -> String { "\(videoId)/poster.jpg" }

    /// The storyboard sprite (thumbnails for scrub previews).
    public static func storyboardImage(_ videoId: VideoID) -> String { "\(videoId)/storyboard.jpg" }

    /// The WebVTT mapping time ranges to regions of the storyboard sprite.
    public static func storyboardTrack(_ videoId: VideoID) -> String { "\(videoId)/storyboard.vtt" }

    /// Whether `path` is a safe relative path below a video's HLS directory: one to four
    /// segments of letters, digits, `.`, `_` and `-`, none of them `.` or `..`.
    public static func isSafeRelativePath(_ path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...4).contains(segments.count), path.utf8.count <= 200 else { return false }
        return segments.allSatisfy { segment in
            !segment.isEmpty && segment != "." && segment != ".."
                && segment.utf8.allSatisfy { byte in
                    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                        || byte == 0x2E || byte == 0x5F || byte == 0x2D
                }
        }
    }

    /// Whether `quality` names a rung: digits followed by `p` (`1080p`, `240p`).
    public static func isQualityName(_ quality: String) -> Bool {
        quality.utf8.count >= 2 && quality.utf8.count <= 6 && quality.hasSuffix("p")
            && quality.dropLast().allSatisfy { $0.isASCII && $0.isNumber }
    }
}
