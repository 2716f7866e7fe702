/// One quality of the ladder: its size and encoding limits.
public struct Rung: Sendable, Equatable, Hashable {
    /// `1080p`, `720p`, `480p`, `360p`, or `<n>p` for a source below 360p.
    public var name: String
    /// Output width and height (even, aspect ratio of the displayed source).
    public var width: Int
    public var height: Int
    /// Peak video bit rate (`-maxrate`) and VBV buffer (`-bufsize`), bits per second.
    public var maxRate: Int
    public var bufferSize: Int
    /// Output frame rate (the source's, capped at 60).
    public var frameRate: Double
    /// Whether the source can be copied into this rung as it is (H.264 at this size, under the cap).
    public var isRemux: Bool

    /// The short side, which names the rung.
    public var shortSide: Int { min(width, height) }

    /// A rung.
    public init(name: String, width: Int, height: Int, maxRate: Int, bufferSize: Int, frameRate: Double, isRemux: Bool) {
        self.name = name
        self.width = width
        self.height = height
        self.maxRate = maxRate
        self.bufferSize = bufferSize
        self.frameRate = frameRate
        self.isRemux = isRemux
    }
}

/// Picks the rungs for a source: 1080p, 720p, 480p and 360p by the short side, never above the
/// source; a source below 360p gets one rung at its own size.
public enum Ladder {
    /// The standard rungs: short side and bit-rate cap (maxrate; bufsize is twice that).
    public static let standard: [(shortSide: Int, maxRate: Int)] = [
        (1080, 5_000_000), (720, 2_800_000), (480, 1_400_000), (360, 800_000),
    ]

    /// Video bit-rate cap for a rung whose short side is below 360.
    static let tinyMaxRate = 400_000

    /// The one rung of an audio video (a still picture with the sound): the lowest standard rung.
    public static let audioPicture = Rung(
        name: "360p", width: 640, height: 360, maxRate: 400_000, bufferSize: 800_000, frameRate: audioPictureFrameRate, isRemux: false)

    /// Frames per second of an audio video's still picture: enough for a keyframe every 2 s.
    public static let audioPictureFrameRate = 5.0

    /// The rungs for `probe`, best first; an audio-only source gets ``audioPicture`` alone.
    public static func rungs(for probe: MediaProbe) -> [Rung] {
        guard let video = probe.video else { return probe.audio == nil ? [] : [audioPicture] }
        let displayWidth = max(2, video.displayWidth), displayHeight = max(2, video.displayHeight)
        let sourceShort = min(displayWidth, displayHeight)
        let frameRate = min(60, video.frameRate > 0 ? video.frameRate : 25)
        let aspect = Double(displayWidth) / Double(displayHeight)
        var chosen = standard.filter { $0.shortSide <= sourceShort }
        if chosen.isEmpty { chosen = [(max(2, sourceShort / 2 * 2), tinyMaxRate)] }  // even, rounded down
        let sourceLong = max(2, max(displayWidth, displayHeight) / 2 * 2)
        return chosen.map { short, maxRate in
            let long = min(sourceLong, even(Double(short) * (aspect >= 1 ? aspect : 1 / aspect)))
            let (width, height) = aspect >= 1 ? (long, short) : (short, long)
            let sourceBitRate = video.bitRate ?? probe.bitRate ?? Int.max
            let remux = video.codec == "h264" && video.rotation == 0 && video.sampleAspectRatio == 1 && !video.frameRateIsAssumed
                && video.width == width && video.height == height && video.frameRate <= 60
                && (video.pixelFormat ?? "yuv420p") == "yuv420p" && sourceBitRate <= maxRate
                && (probe.audio.map { $0.codec == "aac" && $0.channels <= 2 && ($0.profile ?? "LC") == "LC" } ?? true)
            return Rung(name: "\(short)p", width: width, height: height, maxRate: maxRate, bufferSize: maxRate * 2,
                        frameRate: frameRate, isRemux: remux)
        }
    }

    /// The nearest even integer (at least 2).
    static func even(_ value: Double) -> Int { max(2, Int(clampingRounded: value / 2) * 2) }
    static func even(_ value: Int) -> Int { even(Double(value)) }
}
