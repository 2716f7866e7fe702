/// How one rendition is cut to `[from, to)` with as little encoding as possible: the whole GOPs
/// inside the range are stream-copied, and so are the last GOP's frames up to the point where
/// they reference frames past the range (``tailStart(_:to:minimumCopied:)``); only the partial
/// GOP at the start and the frames after that point are decoded and encoded again. A range that starts
/// and ends on keyframes (or at the end of the video) is copied whole; one that starts inside a
/// GOP and holds no keyframe is encoded whole.
public struct SmartCutPlan: Sendable, Equatable {
    /// One piece of the cut, in the rendition's timeline (seconds).
    public enum Piece: Sendable, Equatable {
        /// Decoded and encoded again (a partial GOP).
        case encode(from: Double, to: Double)
        /// Stream-copied: starts on a keyframe and ends on the next piece's keyframe (or the end).
        case copy(from: Double, to: Double)

        /// Where the piece starts.
        public var from: Double {
            switch self {
            case .encode(let from, _), .copy(let from, _): from
            }
        }

        /// Where the piece ends.
        public var to: Double {
            switch self {
            case .encode(_, let to), .copy(_, let to): to
            }
        }
    }

    /// The pieces in order; they cover `[from, to)` without gaps.
    public var pieces: [Piece]

    /// A plan of these pieces.
    public init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// Whether anything is encoded.
    public var encodes: Bool { pieces.contains { if case .encode = $0 { true } else { false } } }

    /// Plans the cut.
    /// - Parameters:
    ///   - keyframes: the rendition's keyframe times (any order).
    ///   - from: where the clip starts; `to`: where it ends (`to > from`).
    ///   - duration: the rendition's length: a range ending there needs no tail.
    ///   - frameDuration: one frame; times this close to a keyframe count as on it.
    ///   - tailStart: where the tail's encode begins, past the last keyframe before `to`
    ///     (``tailStart(_:to:minimumCopied:)``): the frames before it are copied too. `nil`: at
    ///     that keyframe.
    public static func plan(
        keyframes: [Double], from: Double, to: Double, duration: Double, frameDuration: Double, tailStart: Double? = nil
    ) -> SmartCutPlan {
        let tolerance = frameDuration / 2
        let sorted = keyframes.filter(\.isFinite).sorted()
        let reachesEnd = to >= duration - tolerance
        // Where the copy ends: the range's end, or where its tail's encode begins.
        let copyEnd = reachesEnd
            ? Optional(to) : sorted.last(where: { $0 <= to + tolerance }).map { key in tailStart.map { max(key, min($0, to)) } ?? key }
        guard let first = sorted.first(where: { $0 >= from - tolerance }), let copyEnd, copyEnd - first > tolerance else {
            return SmartCutPlan(pieces: [.encode(from: from, to: to)])
        }
        var pieces: [Piece] = []
        if first - from > tolerance { pieces.append(.encode(from: from, to: first)) }
        pieces.append(.copy(from: max(first, from), to: reachesEnd ? duration : copyEnd))
        if !reachesEnd && to - copyEnd > tolerance { pieces.append(.encode(from: copyEnd, to: to)) }
        return SmartCutPlan(pieces: pieces)
    }
}
