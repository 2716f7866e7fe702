import ClipCutCore
import Foundation
import Jobs
import Testing

/// One behaviour, two implementations: what the workers rely on holds for Redis and for the
/// in-memory twin the worker tests use.
@Suite("JobQueue behaviour, Redis and in memory", .serialized)
struct JobQueueBehaviourTests {
    @Test("first in, first out; each job to one worker; nothing when empty", arguments: QueueKind.allCases)
    func order(kind: QueueKind) async throws {
        let queues = try await kind.make()
        let jobs = [newJob(), newJob(), newJob()]
        for job in jobs { try await queues.first.enqueue(job) }
        let a = try #require(try await queues.first.claimNext(wait: .milliseconds(50)))
        let b = try #require(try await queues.second.claimNext(wait: .milliseconds(50)))
        let c = try #require(try await queues.first.claimNext(wait: .milliseconds(50)))
        #expect([a, b, c].map { $0.job?.payload.videoId } == jobs.map(\.payload.videoId))
        #expect(try await queues.second.claimNext(wait: .milliseconds(50)) == nil)
        #expect(try await queues.first.snapshot() == JobQueueSnapshot(waiting: [], inProgress: 3, delayed: 0))
        for job in [a, b, c] { try await queues.first.complete(job) }
        #expect(try await queues.first.snapshot().inProgress == 0)
        await queues.shutdown()
    }

    @Test("a job without heartbeats is taken over by the other worker, counted as a second delivery", arguments: QueueKind.allCases)
    func takeOver(kind: QueueKind) async throws {
        // Generous times: the suites run beside ffmpeg and whisper on two cores, which can stall
        // a test's task for seconds; 10 s between heartbeats 100 ms apart.
        let queues = try await kind.make(claimIdle: .seconds(10))
        try await queues.first.enqueue(newJob())
        let taken = try #require(try await queues.first.claimNext(wait: .milliseconds(50)))
        #expect(try await queues.first.deliveries(of: taken) == 1)
        // Heartbeats keep it: the other worker gets nothing.
        let videoId = try #require(taken.job?.payload.videoId)
        #expect(try await queues.first.lock(videoId, for: taken) == .acquired)
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await queues.first.heartbeat(taken, videoId: videoId))
            #expect(try await queues.second.claimNext(wait: .milliseconds(1)) == nil)
        }
        // The first worker dies: after the idle time the second takes the same entry.
        try await Task.sleep(for: .milliseconds(10_200))
        let again = try #require(try await queues.second.claimNext(wait: .milliseconds(50)))
        #expect(again.id == taken.id)
        #expect(try await queues.second.deliveries(of: again) == 2)
        // The dead worker's lock expired with it; the new worker takes it, the old one lost it.
        #expect(try await queues.second.lock(videoId, for: again) == .acquired)
        #expect(try await queues.first.heartbeat(taken, videoId: videoId) == false)
        await queues.shutdown()
    }

    @Test("the video lock: held for the same entry, refused to a duplicate, given back only by its holder", arguments: QueueKind.allCases)
    func locks(kind: QueueKind) async throws {
        let queues = try await kind.make()
        let job = newJob()
        try await queues.first.enqueue(job)
        try await queues.first.enqueue(job)  // a duplicate of the same video
        let original = try #require(try await queues.first.claimNext(wait: .milliseconds(50)))
        let duplicate = try #require(try await queues.second.claimNext(wait: .milliseconds(50)))
        let videoId = job.payload.videoId
        #expect(try await queues.first.lock(videoId, for: original) == .acquired)
        #expect(try await queues.second.lock(videoId, for: duplicate) == .heldForAnotherEntry)
        #expect(try await queues.second.lock(videoId, for: original) == .heldForThisEntry)
        await queues.second.unlock(videoId, for: duplicate)  // not its lock: nothing happens
        #expect(try await queues.second.lock(videoId, for: duplicate) == .heldForAnotherEntry)
        await queues.first.unlock(videoId, for: original)
        #expect(try await queues.second.lock(videoId, for: duplicate) == .acquired)
        await queues.shutdown()
    }

    @Test("retry later: completed now, back in the queue when due, with the next attempt", arguments: QueueKind.allCases)
    func retryLater(kind: QueueKind) async throws {
        let queues = try await kind.make()
        let job = newJob()
        try await queues.first.enqueue(job)
        let taken = try #require(try await queues.first.claimNext(wait: .milliseconds(50)))
        let next = TranscodeJob(videoId: job.payload.videoId, owner: job.payload.owner, attempt: 2)
        try await queues.first.retryLater(taken, next: next, after: .seconds(30))
        #expect(try await queues.first.snapshot() == JobQueueSnapshot(waiting: [], inProgress: 0, delayed: 1))
        #expect(try await queues.first.releaseDueRetries(now: Date()) == 0, "not due yet")
        #expect(try await queues.first.releaseDueRetries(now: Date().addingTimeInterval(31)) == 1)
        let retried = try #require(try await queues.second.claimNext(wait: .milliseconds(50)))
        #expect(retried.job?.payload.videoId == job.payload.videoId && retried.job?.payload.attempt == 2)
        #expect(try await queues.second.deliveries(of: retried) == 1, "a fresh entry")
        await queues.shutdown()
    }

    @Test("dead letters keep the message, the reason and the attempts; release hands a job straight back", arguments: QueueKind.allCases)
    func deadLettersAndRelease(kind: QueueKind) async throws {
        let queues = try await kind.make()
        try await queues.first.enqueue(newJob())
        try await queues.first.enqueue(newJob())
        let doomed = try #require(try await queues.first.claimNext(wait: .milliseconds(50)))
        try await queues.first.deadLetter(doomed, reason: "The encoder failed.", attempts: 3)
        #expect(try await queues.first.deadLetterCount() == 1)
        let interrupted = try #require(try await queues.first.claimNext(wait: .milliseconds(50)))
        #expect(try await queues.first.recordStart(of: interrupted) == 1)
        try await queues.first.release(interrupted)
        let resumed = try #require(try await queues.second.claimNext(wait: .milliseconds(50)))
        #expect(resumed.raw == interrupted.raw && resumed.id != interrupted.id)
        #expect(try await queues.second.recordStart(of: resumed) == 1, "starts are counted per entry")
        #expect(try await queues.second.snapshot() == JobQueueSnapshot(waiting: [], inProgress: 1, delayed: 0))
        await queues.shutdown()
    }

    @Test("the done marker, and queue positions in order", arguments: QueueKind.allCases)
    func doneAndPositions(kind: QueueKind) async throws {
        let queues = try await kind.make()
        let jobs = [newJob(), newJob(), newJob()]
        for job in jobs { try await queues.first.enqueue(job) }
        _ = try await queues.first.claimNext(wait: .milliseconds(50))
        let snapshot = try await queues.second.snapshot()
        #expect(snapshot.position(of: jobs[2].payload.videoId) == .init(position: 2, ahead: 1, waiting: 2, inProgress: 1))
        #expect(snapshot.position(of: jobs[0].payload.videoId) == nil, "taken: no longer waiting")
        #expect(try await queues.first.isDone(jobs[0].payload.videoId) == false)
        try await queues.first.markDone(jobs[0].payload.videoId)
        #expect(try await queues.second.isDone(jobs[0].payload.videoId))
        await queues.shutdown()
    }

    @Test("a caption attempt taken by a worker that dies comes back when its lease ends; one that ran is removed", arguments: QueueKind.allCases)
    func captionLease(kind: QueueKind) async throws {
        let queues = try await kind.make()
        let schedule = queues.schedule, video = VideoID.random()
        try await schedule.schedule(video, attempt: 2, after: .zero)
        // One instant for every step: the lease is a matter of the times given, not of how long
        // the calls take.
        let start = Date()
        let taken = try #require(try await schedule.takeDue(now: start, lease: .seconds(1)))
        #expect(taken.videoId == video && taken.attempt == 2)
        #expect(try await schedule.takeDue(now: start.addingTimeInterval(0.5), lease: .seconds(1)) == nil, "leased: no other worker gets it")
        // The worker dies before finishing; after the lease the attempt is due again.
        let again = try #require(try await schedule.takeDue(now: start.addingTimeInterval(1.5), lease: .seconds(60)))
        #expect(again.videoId == video && again.attempt == 2)
        try await schedule.finish(again)
        #expect(try await schedule.takeDue(now: start.addingTimeInterval(3600), lease: .seconds(1)) == nil)
        // A run that schedules the same attempt again (the document was not ready) keeps it.
        try await schedule.schedule(video, attempt: 3, after: .zero)
        let third = try #require(try await schedule.takeDue(now: Date(), lease: .seconds(60)))
        try await schedule.schedule(video, attempt: 3, after: .seconds(60))
        try await schedule.finish(third)
        #expect(try await schedule.takeDue(now: Date().addingTimeInterval(120), lease: .seconds(1))?.attempt == 3)
        await queues.shutdown()
    }
}
