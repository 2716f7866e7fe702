/// Where a cut's tail must start being encoded. The frames of the last GOP that come before the
/// range's end are not all tied to what follows: when the frames presented from the GOP's
/// keyframe up to some frame are exactly the first packets in decode order, every one of them
/// references only frames among them (a frame references only frames decoded before it), so
/// they can be copied too, packet for packet, and only the frames after them encoded. With
/// B-frames that is true after each anchor (I or P) frame whose B-frames are decoded; the
/// frames after the last such point reference the next anchor, past the range, and are
/// encoded. Every rung's tail starts at the same time, so the clip's keyframes stay aligned
/// across rungs.
extension RenditionPackets {
    /// The times `s` in `(keyframe, to]` at which this rendition's copy may end and its encode
    /// begin: the frames presented in `[keyframe, s)` are the first packets, in decode order,
    /// from the keyframe's on (`to` when every frame before `to` is). Ascending; empty when the
    /// keyframe is not among the packets, or its GOP has leading frames presented before it.
    /// - Parameter frameDuration: one frame; times this close count as the same frame.
    public func tailSplits(after keyframe: Double, before to: Double, frameDuration: Double) -> [Double] {
        let tolerance = frameDuration / 2
        guard to - keyframe > tolerance, let first = times.firstIndex(where: { abs($0 - keyframe) < tolerance }) else { return [] }
        // The frames presented in the range's part of the GOP, ascending (any packet's).
        let window = times.filter { $0 >= keyframe - tolerance && $0 < to - tolerance }.sorted()
        var splits: [Double] = [], latest = -Double.infinity, count = 0
        for time in times[first...] {
            // A frame presented before the keyframe (an open GOP's): none.
            guard time >= keyframe - tolerance else { return [] }
            // One presented past the range: every later split would hold it.
            guard time < to - tolerance else { break }
            latest = max(latest, time)
            count += 1
            // Closed: the frames presented up to the latest one are exactly the packets so far.
            guard window.prefix(while: { $0 <= latest + tolerance }).count == count else { continue }
            splits.append(window.first { $0 > latest + tolerance } ?? to)
        }
        return splits
    }
}

extension SmartCutPlan {
    /// Where every rung's tail begins to be encoded, the latest time that is a split
    /// (``RenditionPackets/tailSplits(after:before:frameDuration:)``) of every rendition after
    /// their shared last keyframe before `to`; `to` itself when all the tail can be copied.
    /// `nil` when there is none: the renditions' keyframes before `to` differ, or no frame
    /// after that keyframe can be copied in every rendition (the tail is then encoded from its
    /// keyframe, as ``plan(keyframes:from:to:duration:frameDuration:tailStart:)`` does without one).
    /// Also `nil` when it would copy less than `minimumCopied` seconds past the keyframe: the
    /// encode after it starts with a keyframe of its own (an I-frame's bits more in every rung,
    /// and an encoder's start), which a few frames less to encode do not pay for.
    /// - Parameter renditions: each rung's packets and frame duration.
    public static func tailStart(
        _ renditions: [(packets: RenditionPackets, frameDuration: Double)], to: Double, minimumCopied: Double = 0.25
    ) -> Double? {
        let keyframes = renditions.map { rendition in rendition.packets.keyframes.last { $0 <= to + rendition.frameDuration / 2 } }
        guard let keyframe = keyframes.first ?? nil,
              zip(keyframes, renditions).allSatisfy({ key, rendition in key.map { abs($0 - keyframe) < rendition.frameDuration / 2 } ?? false })
        else { return nil }
        let splits = renditions.map { $0.packets.tailSplits(after: keyframe, before: to, frameDuration: $0.frameDuration) }
        let tolerance = renditions.map { $0.frameDuration / 2 }.min() ?? 0
        let common = splits.first?.last { split in splits.allSatisfy { own in own.contains { abs($0 - split) < tolerance } } }
        return common.flatMap { $0 - keyframe >= minimumCopied - tolerance ? $0 : nil }
    }
}
