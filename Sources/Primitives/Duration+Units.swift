/// `Duration` in the units the services hand to clocks, Redis and HTTP headers: the one place
/// that converts, instead of `components` arithmetic at every call site.
extension Duration {
    /// The duration in seconds, with its fraction.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole milliseconds (truncated).
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Whole seconds, rounded up (a `Retry-After` value): at least `minimum`.
    public func wholeSecondsRoundedUp(minimum: Int = 0) -> Int {
        max(minimum, Int(seconds.rounded(.up)))
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, never negative (a timeout for a C client or Redis).
    public var clippedMilliseconds: Int {
        max(0, Int(milliseconds))
    }
}
