import Foundation

/// What ClipCut accepts from an upload: the longest duration, the largest frame, the most
/// streams. A decompression bomb is a small file that declares a huge frame or hours of
/// content; these limits end it before a decoder allocates for it.
public struct MediaPolicy: Sendable, Equatable {
    /// Longest accepted duration in seconds (default 4 h).
    public var maximumDuration: Double
    /// Largest accepted coded width and height (default 8192 each).
    public var maximumWidth: Int
    public var maximumHeight: Int
    /// Largest accepted frame area in pixels (default 40 megapixels).
    public var maximumPixels: Int
    /// Most streams of all kinds in one file (default 16).
    public var maximumStreams: Int

    /// The defaults documented in `docs/configuration.md`.
    public init(
        maximumDuration: Double = 4 * 3600, maximumWidth: Int = 8192, maximumHeight: Int = 8192, maximumPixels: Int = 40_000_000,
        maximumStreams: Int = 16
    ) {
        self.maximumDuration = maximumDuration
        self.maximumWidth = maximumWidth
        self.maximumHeight = maximumHeight
        self.maximumPixels = maximumPixels
        self.maximumStreams = maximumStreams
    }

    /// Throws the first limit `probe` passes.
    public func check(_ probe: MediaProbe) throws(MediaProbe.Rejection) {
        if !probe.hasDuration { throw .noDuration }
        if probe.streamCount > maximumStreams { throw .tooManyStreams(count: probe.streamCount, limit: maximumStreams) }
        if probe.duration > maximumDuration { throw .tooLong(seconds: probe.duration, limit: maximumDuration) }
        if let video = probe.video {
            let pixels = video.width.multipliedReportingOverflow(by: video.height)
            if video.width > maximumWidth || video.height > maximumHeight || pixels.overflow || pixels.partialValue > maximumPixels {
                throw .frameTooLarge(width: video.width, height: video.height, policy: frameLimit)
            }
        }
    }

    /// The frame limits in words, e.g. `8192×8192 and 40 megapixels`.
    public var frameLimit: String {
        let megapixels = Double(maximumPixels) / 1_000_000
        let shown = megapixels == megapixels.rounded() ? String(Int(megapixels)) : String(format: "%.1f", megapixels)
        return "\(maximumWidth)×\(maximumHeight) and \(shown) megapixels"
    }

    /// How long a tool may run on a file of `duration` seconds before it is stopped: a fixed
    /// allowance plus `factor` seconds per second of content (the duration is capped by the
    /// policy before this is asked).
    public static func toolTimeLimit(duration: Double, factor: Double, minimum: Duration = .seconds(120)) -> Duration {
        let seconds = duration.isFinite && duration > 0 ? min(duration, 86_400) * factor : 0
        return minimum + .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// `4 h`, `10 h 0 min`, `90 s`: durations as a person reads them.
    public static func describe(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "unknown" }
        let whole = Int(min(seconds, 1e12).rounded())
        if whole < 120 { return "\(whole) s" }
        let hours = whole / 3600, minutes = (whole % 3600) / 60
        if hours == 0 { return "\(minutes) min" }
        return minutes == 0 ? "\(hours) h" : "\(hours) h \(minutes) min"
    }
}
