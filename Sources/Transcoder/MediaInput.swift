/// Where ffmpeg and ffprobe read a source, with the input options that keep a hostile file from
/// making them open anything else.
public enum MediaInput: Sendable, Equatable {
    /// A local file: `-protocol_whitelist file,pipe`.
    case file(String)
    /// An `http` (or `https`) URL that answers byte ranges (upload-service's internal source
    /// route): `-protocol_whitelist http,tcp` (`https,tls,tcp`) and the container's demuxer
    /// forced with `-f`, so no playlist or reference demuxer can claim the bytes and open other
    /// URLs. ffmpeg reads the moov at the end of a phone's MP4 with a range request instead of
    /// waiting for the whole file.
    case network(url: String, demuxer: String)

    /// The input options followed by `-i`.
    public var arguments: [String] {
        switch self {
        case .file(let path):
            ["-protocol_whitelist", "file,pipe", "-i", path]
        case .network(let url, let demuxer):
            ["-protocol_whitelist", url.lowercased().hasPrefix("https:") ? "https,tls,tcp" : "http,tcp", "-f", demuxer, "-i", url]
        }
    }

    /// Whether a tool's error output says the transport failed rather than the file: the server
    /// was unreachable, answered an error, or ended a response early. Checked before any verdict
    /// on the file (a response cut short also reads as a cut-off file to the demuxer).
    public static func transportFailed(_ errors: String) -> Bool {
        let signs = ["Connection refused", "Connection reset", "Connection timed out", "Stream ends prematurely", "Server returned",
                     "HTTP error", "Failed to resolve hostname", "Network is unreachable", "No route to host", "Broken pipe"]
        return signs.contains { errors.contains($0) }
    }

    /// Whether a tool's error output says the server has no such source (HTTP 404).
    public static func sourceMissing(_ errors: String) -> Bool {
        errors.contains("404 Not Found")
    }
}
