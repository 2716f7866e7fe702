import Testing
import Transcoder

/// Where a cut's tail must start being encoded: after the last GOP's frames that are a prefix of
/// its decode order, the same point in every rung.
@Suite("The smart cut's tail")
struct SmartCutTailTests {
    static let frame = 1.0 / 30

    /// Packets at these frame numbers (of 30 fps), in decode order; the first a keyframe.
    static func packets(_ frames: [Int], keyframes: Set<Int> = [60]) -> RenditionPackets {
        RenditionPackets(packets: frames.map { (time: Double($0) * frame, isKeyframe: keyframes.contains($0)) })
    }

    static func frames(_ times: [Double]) -> [Int] { times.map { Int(($0 / frame).rounded()) } }

    /// I P B B B P B B B …: x264's B-frames, each P decoded before the B-frames shown before it.
    static let ibbbp = packets([60, 64, 61, 62, 63, 68, 65, 66, 67, 72, 69, 70, 71, 90], keyframes: [60, 90])

    @Test("a split after the keyframe and after each P's B-frames, none past the range")
    func splits() {
        let to = 66.5 * Self.frame
        #expect(Self.frames(Self.ibbbp.tailSplits(after: 2, before: to, frameDuration: Self.frame)) == [61, 65])
        // The range ending just after a P (frame 64): everything before it is copied (the split is the end).
        #expect(Self.ibbbp.tailSplits(after: 2, before: 65 * Self.frame, frameDuration: Self.frame).last == 65 * Self.frame)
        // Just before it: the B-frames 61–63 reference that P, past the range.
        #expect(Self.frames(Self.ibbbp.tailSplits(after: 2, before: 64 * Self.frame, frameDuration: Self.frame)) == [61])
        // No packet at the keyframe, or a range ending on it: none.
        #expect(Self.ibbbp.tailSplits(after: 2.5, before: to, frameDuration: Self.frame).isEmpty)
        #expect(Self.ibbbp.tailSplits(after: 2, before: 2, frameDuration: Self.frame).isEmpty)
    }

    @Test("an open GOP (frames shown before its keyframe, decoded after it): no split")
    func openGOP() {
        let open = Self.packets([60, 58, 59, 63, 61, 62], keyframes: [60])
        #expect(open.tailSplits(after: 2, before: 62.5 * Self.frame, frameDuration: Self.frame).isEmpty)
    }

    @Test("the rungs' latest common split; none when their keyframes differ, they share none, or it copies too little")
    func common() {
        let to = 66.5 * Self.frame
        // Another rung's B-frame decisions: I P B B P P B …, splits at 61, 64 and 65.
        let other = Self.packets([60, 63, 61, 62, 64, 68, 65, 66, 67], keyframes: [60])
        #expect(Self.frames(other.tailSplits(after: 2, before: to, frameDuration: Self.frame)) == [61, 64, 65])
        let start = SmartCutPlan.tailStart([(Self.ibbbp, Self.frame), (other, Self.frame)], to: to, minimumCopied: 0)
        #expect(start.map { Self.frames([$0]) } == [65])
        // Five frames copied past the keyframe: not worth a keyframe of the tail's own, by default.
        #expect(SmartCutPlan.tailStart([(Self.ibbbp, Self.frame), (other, Self.frame)], to: to) == nil)
        #expect(SmartCutPlan.tailStart([(Self.ibbbp, Self.frame), (other, Self.frame)], to: to, minimumCopied: 5 * Self.frame) != nil)
        // Only the keyframe's own frame in common.
        let third = Self.packets([60, 62, 61, 66, 63, 64, 65], keyframes: [60])
        #expect(SmartCutPlan.tailStart([(Self.ibbbp, Self.frame), (third, Self.frame)], to: to, minimumCopied: 0).map { Self.frames([$0]) } == [61])
        // Keyframes apart: none.
        let shifted = Self.packets([62, 66, 63, 64, 65], keyframes: [62])
        #expect(SmartCutPlan.tailStart([(Self.ibbbp, Self.frame), (shifted, Self.frame)], to: to, minimumCopied: 0) == nil)
        #expect(SmartCutPlan.tailStart([], to: to) == nil)
    }

    @Test("the plan copies up to the tail's start and encodes from there; to the range's end when it is")
    func plans() {
        let keys: [Double] = [0, 2, 4, 6, 8], frame = Self.frame
        #expect(SmartCutPlan.plan(keyframes: keys, from: 3.3, to: 6.9, duration: 10, frameDuration: frame, tailStart: 6.5).pieces
            == [.encode(from: 3.3, to: 4), .copy(from: 4, to: 6.5), .encode(from: 6.5, to: 6.9)])
        #expect(SmartCutPlan.plan(keyframes: keys, from: 3.3, to: 6.9, duration: 10, frameDuration: frame, tailStart: 6.9).pieces
            == [.encode(from: 3.3, to: 4), .copy(from: 4, to: 6.9)])
        // Starting on a keyframe and ending inside its GOP: the frames before the tail's start copied.
        #expect(SmartCutPlan.plan(keyframes: keys, from: 4, to: 5.5, duration: 10, frameDuration: frame, tailStart: 5).pieces
            == [.copy(from: 4, to: 5), .encode(from: 5, to: 5.5)])
        // Starting inside a GOP with no keyframe in the range: encoded whole, whatever the tail.
        #expect(SmartCutPlan.plan(keyframes: keys, from: 4.5, to: 5.5, duration: 10, frameDuration: frame, tailStart: 5).pieces
            == [.encode(from: 4.5, to: 5.5)])
        // To the end of the video: no tail.
        #expect(SmartCutPlan.plan(keyframes: keys, from: 4, to: 10, duration: 10, frameDuration: frame, tailStart: 9).pieces
            == [.copy(from: 4, to: 10)])
    }
}
