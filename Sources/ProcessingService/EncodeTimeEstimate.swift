import Foundation

/// Seconds left of a ladder encode, from what this server measured before and what ffmpeg says now.
///
/// ffmpeg's own `speed` is the average since it started, startup and x264's look-ahead included,
/// so its first figures are far too slow (a 60 s video first showed "1 min 40 s" left when 39 s
/// remained). Until the encode has run a while, the estimate leans on `prior`, the speed this
/// server reached on its recent encodes of the same top rung (``EncodeSpeeds``), and moves to the
/// live speed (the rate between ffmpeg's reports, smoothed) as the encode settles.
struct EncodeTimeEstimate: Sendable {
    /// The video's length in seconds.
    let duration: Double
    /// Media seconds per wall second this server reached on such encodes, if it knows.
    let prior: Double?
    /// Media seconds after which the live speed alone counts (at most a quarter of the video).
    static let settleSeconds = 20.0

    private var last: (outTime: Double, elapsed: Double)?
    private var live: Double?

    /// An estimate for a video of `duration` seconds.
    init(duration: Double, prior: Double?) {
        self.duration = duration
        self.prior = prior.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
    }

    /// Takes one ffmpeg report: `outTime` encoded so far, `elapsed` wall seconds since ffmpeg
    /// started. Returns the seconds left, or `nil` while nothing is known.
    mutating func update(outTime: Double, elapsed: Double, isEnd: Bool) -> Double? {
        if isEnd { return 0 }
        guard duration > 0, outTime.isFinite, elapsed.isFinite else { return nil }
        if let last, elapsed > last.elapsed, outTime > last.outTime {
            let instant = (outTime - last.outTime) / (elapsed - last.elapsed)
            live = live.map { 0.7 * $0 + 0.3 * instant } ?? instant
        }
        if last == nil || outTime > (last?.outTime ?? 0) { last = (outTime, elapsed) }
        let remaining = max(0, duration - outTime)
        let settled = min(1, outTime / min(Self.settleSeconds, max(1, duration / 4)))
        switch (prior, live) {
        case let (prior?, live?): return remaining / (settled * live + (1 - settled) * prior)
        case let (prior?, nil): return remaining / prior
        case let (nil, live?): return remaining / live
        case (nil, nil): return nil
        }
    }
}
