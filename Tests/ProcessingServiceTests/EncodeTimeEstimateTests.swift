import Foundation
import Testing
import Transcoder

@testable import ProcessingService

@Suite("The time left of an encode: this server's earlier speed first, then the live one")
struct EncodeTimeEstimateTests {
    /// ffmpeg's reports for a `duration` s video that really encodes at `speed`× after `startup` s
    /// of nothing (opening the input, x264's look-ahead): every 0.5 s of wall time, `out_time`
    /// and ffmpeg's own cumulative `speed`.
    static func reports(duration: Double, speed: Double, startup: Double) -> [(elapsed: Double, snapshot: ProgressSnapshot)] {
        var reports: [(Double, ProgressSnapshot)] = []
        var elapsed = 0.5
        while true {
            let out = min(duration, max(0, elapsed - startup) * speed)
            reports.append((elapsed, ProgressSnapshot(outTime: out, fps: nil, speed: out > 0 ? out / elapsed : nil, isEnd: out >= duration)))
            if out >= duration { return reports }
            elapsed += 0.5
        }
    }

    /// The seconds really left at `elapsed`.
    static func truth(_ elapsed: Double, duration: Double, speed: Double, startup: Double) -> Double {
        max(0, startup + duration / speed - elapsed)
    }

    @Test("60 s at 1.5× after 2 s of start-up: with this server's speed the first estimates are within 10 %; ffmpeg's own speed said three times as long")
    func priorFirst() {
        let reports = Self.reports(duration: 60, speed: 1.5, startup: 2)
        var estimate = EncodeTimeEstimate(duration: 60, prior: 1.5)
        var checked = 0
        for (elapsed, snapshot) in reports where !snapshot.isEnd && snapshot.outTime > 0 {
            let left = estimate.update(outTime: snapshot.outTime, elapsed: elapsed, isEnd: false)
            let truth = Self.truth(elapsed, duration: 60, speed: 1.5, startup: 2)
            guard truth > 5 else { continue }
            #expect(abs((left ?? 0) - truth) <= 0.1 * truth, "at \(elapsed) s: \(left ?? -1) s left, really \(truth) s")
            checked += 1
        }
        #expect(checked > 40)
        // What the page showed before: the time left at ffmpeg's cumulative speed.
        let first = try? #require(reports.first { $0.snapshot.outTime > 0 })
        if let first {
            let old = first.snapshot.eta(duration: 60) ?? 0
            #expect(old > 2.5 * Self.truth(first.elapsed, duration: 60, speed: 1.5, startup: 2))
        }
    }

    @Test("without an earlier speed the live rate between reports is used; a wrong earlier speed gives way once the encode settles")
    func liveTakesOver() {
        let reports = Self.reports(duration: 60, speed: 1.5, startup: 2)
        for prior in [nil, 3.0, 0.5] as [Double?] {
            var estimate = EncodeTimeEstimate(duration: 60, prior: prior)
            for (elapsed, snapshot) in reports where !snapshot.isEnd {
                let left = estimate.update(outTime: snapshot.outTime, elapsed: elapsed, isEnd: false)
                let truth = Self.truth(elapsed, duration: 60, speed: 1.5, startup: 2)
                // Settled (a quarter of the video, 15 s, encoded) and not at the very end.
                if snapshot.outTime >= 15, truth > 5 {
                    #expect(abs((left ?? 0) - truth) <= 0.1 * truth, "prior \(String(describing: prior)) at \(elapsed) s: \(left ?? -1), really \(truth)")
                }
            }
            #expect(estimate.update(outTime: 60, elapsed: 42, isEnd: true) == 0)
        }
        var empty = EncodeTimeEstimate(duration: 60, prior: nil)
        #expect(empty.update(outTime: 0, elapsed: 1, isEnd: false) == nil, "nothing known yet")
        var broken = EncodeTimeEstimate(duration: 60, prior: .nan)
        #expect(broken.update(outTime: 0, elapsed: 1, isEnd: false) == nil, "a NaN prior is no prior")
    }

    @Test("the speeds kept per top rung: the first, then a moving average")
    func speedsKept() async {
        let speeds = MemoryEncodeSpeeds()
        #expect(await speeds.speed(topRung: 1080) == nil)
        await speeds.record(2, topRung: 1080)
        await speeds.record(1, topRung: 1080)
        await speeds.record(.infinity, topRung: 1080)
        await speeds.record(-1, topRung: 1080)
        #expect(await speeds.speed(topRung: 1080) == 0.7 * 2 + 0.3 * 1)
        #expect(await speeds.speed(topRung: 720) == nil)
    }
}
