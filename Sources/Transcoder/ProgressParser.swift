import Foundation

/// One block of `ffmpeg -progress` output.
public struct ProgressSnapshot: Sendable, Equatable {
    /// Position in the output, seconds.
    public var outTime: Double
    /// Frames per second being encoded.
    public var fps: Double?
    /// Speed relative to real time (`1.5` = 1.5×).
    public var speed: Double?
    /// Whether this is the last block (`progress=end`).
    public var isEnd: Bool

    /// A block as ffmpeg would report it.
    public init(outTime: Double, fps: Double?, speed: Double?, isEnd: Bool) {
        self.outTime = outTime
        self.fps = fps
        self.speed = speed
        self.isEnd = isEnd
    }

    /// Percent done of `duration` (0–100).
    public func percent(of duration: Double) -> Double {
        guard duration > 0 else { return isEnd ? 100 : 0 }
        return isEnd ? 100 : min(100, max(0, outTime / duration * 100))
    }

    /// Seconds left at the current speed, if known.
    public func eta(duration: Double) -> Double? {
        guard let speed, speed > 0, !isEnd else { return isEnd ? 0 : nil }
        return max(0, (duration - outTime) / speed)
    }
}

/// Reads `ffmpeg -nostats -progress pipe:1` line by line: `key=value` lines, each block ended by
/// `progress=continue` or `progress=end`. Unknown keys and malformed lines are ignored.
public struct ProgressParser: Sendable {
    private var outTime: Double = 0
    private var fps: Double?
    private var speed: Double?

    public init() {}

    /// Takes one line; returns a snapshot when the line ends a block.
    public mutating func consume(_ line: Substring) -> ProgressSnapshot? {
        guard let equals = line.firstIndex(of: "=") else { return nil }
        let key = line[..<equals].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        switch key {
        case "out_time_us", "out_time_ms":
            // Both are microseconds in ffmpeg 5 (out_time_ms is misnamed).
            if let micros = Double(value), micros.isFinite, micros >= 0 { outTime = micros / 1_000_000 }
        case "out_time":
            if let seconds = WebVTTTime.parse(Substring(value)) { outTime = seconds }
        case "fps":
            fps = Double(value).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        case "speed":
            let number = value.hasSuffix("x") ? String(value.dropLast()) : value
            speed = Double(number.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        case "progress":
            return ProgressSnapshot(outTime: outTime, fps: fps, speed: speed, isEnd: value == "end")
        default:
            break
        }
        return nil
    }
}
