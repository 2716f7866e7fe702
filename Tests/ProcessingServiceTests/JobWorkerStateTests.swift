import ClipCutCore
import Foundation
import Jobs
import Testing

@testable import ProcessingService

/// The job state machine on the in-memory queue with a scripted processor: no servers, each
/// test well under a second. The live suites (`WorkerTests`, `PipelineTests`) cover ffmpeg and
/// the real servers.
@Suite("JobWorker's job states, in memory")
struct JobWorkerStateTests {
    @Test("a job that works: the video is done, the job completed, pending captions scheduled")
    func ready() async throws {
        let harness = WorkerHarness { _ in ProcessedVideo(renditions: [], captionsPending: true) }
        let job = harness.media.add()
        try await harness.queue().enqueue(job)
        let store = harness.store
        #expect(try await harness.run { store.pendingCount == 0 && store.waitingCount == 0 })
        #expect(try await harness.queue().isDone(job.payload.videoId))
        #expect(harness.captions.scheduled.map(\.videoId) == [job.payload.videoId])
        #expect(harness.processor.calls.withLock { $0 } == 1)
        #expect(store.deadLetters.isEmpty)
    }

    @Test("transient failures: retried with doubling delays, then dead-lettered once with the reason; the video failed")
    func retriesThenDeadLetter() async throws {
        let harness = WorkerHarness { _ in throw JobFailure.transient("The encoder failed.") }
        let job = harness.media.add()
        try await harness.queue().enqueue(job)
        let store = harness.store
        #expect(try await harness.run { !store.deadLetters.isEmpty })
        #expect(harness.processor.calls.withLock { $0 } == 3)
        #expect(store.deadLetters.map(\.reason) == ["The encoder failed. (after 3 attempts)"])
        #expect(store.deadLetters.first?.attempts == 3)
        let failures = harness.events.events.withLock { $0.filter { $0.type == .videoFailed } }
        #expect(failures.count == 1)
        let retries = harness.events.progressEvents.withLock { $0.compactMap(\.logLine).filter { $0.contains("retrying in") } }
        #expect(retries.count == 2)
        #expect(harness.policy.retryDelay(after: 1) == .milliseconds(50) && harness.policy.retryDelay(after: 2) == .milliseconds(100))
        #expect(harness.media.deletedMedia.withLock { $0 } == [job.payload.videoId], "nothing half-written stays")
    }

    @Test("a permanent failure fails the video at once, without a retry or a dead letter")
    func permanentFailure() async throws {
        let harness = WorkerHarness { _ in throw JobFailure.permanent("This file is not a video.") }
        try await harness.queue().enqueue(harness.media.add())
        let events = harness.events
        #expect(try await harness.run { events.types.contains(.videoFailed) })
        #expect(harness.processor.calls.withLock { $0 } == 1)
        #expect(harness.store.deadLetters.isEmpty && harness.store.pendingCount == 0)
    }

    @Test("a duplicate entry of a video another worker is processing is completed without processing")
    func duplicateDelivery() async throws {
        let harness = WorkerHarness { _ in ScriptedProcessor.ready }
        let job = harness.media.add()
        let other = harness.queue("other-worker")
        try await other.enqueue(job)
        try await other.enqueue(job)
        let first = try #require(try await other.claimNext(wait: .zero))
        #expect(try await other.lock(job.payload.videoId, for: first) == .acquired)
        let store = harness.store
        #expect(try await harness.run { store.waitingCount == 0 && store.pendingCount == 1 })
        #expect(harness.processor.calls.withLock { $0 } == 0)
        #expect(harness.events.types.isEmpty)
    }

    @Test("a job whose lock another worker took stops at the next heartbeat and publishes nothing")
    func lockLost() async throws {
        let harness = WorkerHarness { _ in
            try await Task.sleep(for: .seconds(30))
            return ScriptedProcessor.ready
        }
        let job = harness.media.add()
        try await harness.queue().enqueue(job)
        let store = harness.store, processor = harness.processor
        let stopped = try await harness.run(during: { _ in
            while processor.calls.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
            store.seizeLock(of: job.payload.videoId)
        }) { processor.cancellations.withLock { $0 } == 1 }
        #expect(stopped, "the work was cancelled")
        #expect(harness.events.types.isEmpty)
        #expect(store.pendingCount == 1, "left to the worker that has the lock")
        #expect(try await harness.queue().isDone(job.payload.videoId) == false)
    }

    @Test("shutdown mid-job: the job gets the grace period, then is cancelled and handed back at once")
    func shutdownAfterGrace() async throws {
        let harness = WorkerHarness { _ in
            try await Task.sleep(for: .seconds(30))
            return ScriptedProcessor.ready
        }
        try await harness.queue().enqueue(harness.media.add())
        let processor = harness.processor
        let started = ContinuousClock.now
        try await harness.run(during: { trigger in
            while processor.calls.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
            trigger.triggerGracefulShutdown()
        }) { processor.cancellations.withLock { $0 } == 1 }
        #expect(ContinuousClock.now - started >= harness.policy.shutdownGrace)
        #expect(
            harness.store.waitingCount == 1 && harness.store.pendingCount == 0,
            "released as a fresh entry: \(harness.store.waitingCount) waiting, \(harness.store.pendingCount) pending")
        #expect(harness.events.types.isEmpty)
        // The lock was given back before the entry: a worker taking it at once gets the lock,
        // instead of completing it as a duplicate of the job that just stopped.
        #expect(harness.store.lockedWhenQueued == [false, false])
    }

    @Test("shutdown mid-job: a job that ends within the grace period completes")
    func shutdownWithinGrace() async throws {
        var harness = WorkerHarness { _ in
            try await Task.sleep(for: .milliseconds(100))
            return ScriptedProcessor.ready
        }
        harness.policy.shutdownGrace = .seconds(60)  // a 100 ms job; a starved test task must not outlast it
        let job = harness.media.add()
        try await harness.queue().enqueue(job)
        let processor = harness.processor, store = harness.store
        try await harness.run(during: { trigger in
            while processor.calls.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
            trigger.triggerGracefulShutdown()
        }) { store.pendingCount == 0 }
        #expect(try await harness.queue().isDone(job.payload.videoId))
        #expect(processor.cancellations.withLock { $0 } == 0)
        #expect(store.waitingCount == 0)
    }

    @Test("an entry whose processing killed two workers is dead-lettered, not given to a third")
    func crashedWorkers() async throws {
        var harness = WorkerHarness { _ in ScriptedProcessor.ready }
        harness.policy.claimIdle = .milliseconds(100)  // the dead worker's job is taken over soon
        let job = harness.media.add()
        let dead = harness.queue("dead-worker")
        try await dead.enqueue(job)
        let claimed = try #require(try await dead.claimNext(wait: .zero))
        _ = try await dead.recordStart(of: claimed)
        _ = try await dead.recordStart(of: claimed)  // two starts, no completion: both workers died
        let store = harness.store
        #expect(try await harness.run { !store.deadLetters.isEmpty })
        #expect(store.deadLetters.map(\.reason) == [JobWorker.crashedReason])
        #expect(harness.processor.calls.withLock { $0 } == 0)
        #expect(harness.events.types == [.videoFailed])
    }

    @Test("a malformed entry is dead-lettered; a deleted video's job is completed without work")
    func malformedAndDeleted() async throws {
        let harness = WorkerHarness { _ in ScriptedProcessor.ready }
        try harness.queue().append("{not a job")
        try await harness.queue().enqueue(TranscodeJob(videoId: .random(), owner: .random()))  // no such video
        let store = harness.store
        #expect(try await harness.run { store.deadLetters.count == 1 && store.pendingCount == 0 && store.waitingCount == 0 })
        #expect(store.deadLetters.map(\.reason) == ["malformed job"])
        #expect(harness.processor.calls.withLock { $0 } == 0)
    }
}
