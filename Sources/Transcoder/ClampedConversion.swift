extension Int {
    /// `value` rounded to the nearest whole number and clamped to ±2³¹ (0 for NaN): for numbers
    /// that came from a file or were computed from one, where `Int(_: Double)` traps on a
    /// non-finite or huge value.
    public init(clampingRounded value: Double) {
        guard value.isFinite else {
            self = value.isNaN ? 0 : (value > 0 ? Int(Int32.max) : Int(Int32.min))
            return
        }
        self = Int(exactly: Swift.min(Swift.max(value.rounded(), Double(Int32.min)), Double(Int32.max))) ?? 0
    }
}
