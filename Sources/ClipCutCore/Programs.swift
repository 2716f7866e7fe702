/// The programs the services run, by absolute path (Debian's packages install them there; the
/// image installs the same packages). Each service lists the ones it runs in its
/// `--print-config`, which `scripts/k8s-check` reads.
public enum Programs {
    /// ffmpeg: decoding, the ladder, packaging, captions.
    public static let ffmpeg = "/usr/bin/ffmpeg"
    /// ffprobe: what a source is.
    public static let ffprobe = "/usr/bin/ffprobe"
}
