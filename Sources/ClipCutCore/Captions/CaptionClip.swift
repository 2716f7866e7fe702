/// A caption track cut to a clip: the cues that overlap `[from, to)`, clamped to it and moved
/// to the clip's timeline (the clip starts at 0).
public enum CaptionClip {
    /// Cues shorter than this after clamping (a word cut in half at the edge) are left out.
    public static let shortestCue = 0.2

    /// The cues of a clip of `[from, to)`, in order.
    public static func cut(_ cues: [CaptionCue], from: Double, to: Double) -> [CaptionCue] {
        cues.compactMap { cue in
            let start = max(cue.start, from), end = min(cue.end, to)
            guard end - start >= shortestCue else { return nil }
            return CaptionCue(start: start - from, end: end - from, text: cue.text)
        }.sorted { $0.start < $1.start }
    }
}
