import ClipCutCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Takes jobs from `clipcut:jobs` and runs them through the pipeline, `concurrency` at a time.
///
/// - A job is acknowledged only when its video is `ready` or finally `failed`.
/// - While a job runs, a heartbeat resets its idle time and renews the video's lock; a job whose
///   worker died (no heartbeat for `claimIdle`) is taken over by another worker (XAUTOCLAIM).
/// - A transient failure is retried after `retryBase × 2^(attempt−1)`, up to `maxAttempts`; then the
///   job goes to `clipcut:jobs:dead` with the reason and the video is marked `failed`. "Not a
///   video" fails at once. A job delivered more than `maxAttempts` times (its workers kept dying)
///   is dead-lettered too.
/// - On graceful shutdown no new job is taken; the running one may finish within the grace
///   period, else it is cancelled (ffmpeg terminated) and left pending for another worker.
struct JobWorker: Service {
    let queue: JobQueue
    let pipeline: TranscodePipeline
    let captionRetry: CaptionRetry
    /// Re-muxes the MP4 downloads after the owner changed a caption track.
    let captionRemux: CaptionRemux
    let media: any MediaAccess
    let events: any EventReporter
    let settings: ProcessingSettings
    let logger: Logger

    /// Starts of one entry that may end without an acknowledgement before it is dead-lettered.
    static let crashedStartsLimit = 2
    /// The failure reason of a file whose processing killed its worker twice.
    static let crashedReason = "processing this file crashed the worker"

    func run() async throws {
        // A worker that was killed left its scratch files behind; nothing else uses this directory.
        try? FileManager.default.removeItem(atPath: settings.scratchDirectory)
        let stopping = StopFlag()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for slot in 0..<settings.concurrency {
                    group.addTask { await workLoop(slot: slot, stopping: stopping) }
                }
                group.addTask { await retryLoop(stopping: stopping) }
                group.addTask { await captionLoop(stopping: stopping) }
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            stopping.set()
        }
    }

    private func workLoop(slot: Int, stopping: StopFlag) async {
        var prepared = false
        while !stopping.isSet && !Task.isCancelled {
            do {
                if !prepared {
                    try await queue.prepare()
                    prepared = true
                }
                guard let job = try await queue.next(block: .seconds(2)) else { continue }
                if stopping.isSet {
                    try? await queue.release(job)  // taken just as shutdown began: hand it straight back
                    return
                }
                await handle(job, stopping: stopping)
            } catch {
                logger.warning("job queue unavailable", metadata: ["error": "\(error)"])
                prepared = false
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Retries that are due go back to the stream.
    private func retryLoop(stopping: StopFlag) async {
        while !stopping.isSet && !Task.isCancelled {
            do {
                try await queue.releaseDueRetries()
            } catch {
                logger.debug("retry release skipped", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Due caption retries and re-muxes of edited captions, one at a time, apart from the jobs
    /// (a transcription can take long).
    private func captionLoop(stopping: StopFlag) async {
        while !stopping.isSet && !Task.isCancelled {
            do {
                if let remux = try await queue.redis.takeCaptionRemux() {
                    do {
                        try await captionRemux.run(videoId: remux.videoId)
                        try await queue.redis.finishCaptionRemux(remux)
                    } catch {
                        // Left leased: due again when the lease ends.
                        logger.warning("caption re-mux failed; it will be tried again", metadata: ["videoId": "\(remux.videoId)", "error": "\(error)"])
                    }
                    continue
                }
                if let due = try await queue.takeDueCaptions() {
                    await captionRetry.run(videoId: due.videoId, attempt: due.attempt)
                    try await queue.finishCaptions(due)  // only now: a worker that dies mid-run leaves it due again
                    continue
                }
            } catch {
                logger.debug("caption retry skipped", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func handle(_ queued: QueuedJob, stopping: StopFlag) async {
        guard let job = queued.job else {
            logger.error("malformed job dead-lettered", metadata: ["entry": "\(queued.entryID)"])
            try? await queue.deadLetter(queued, reason: "malformed job", attempts: 0)
            return
        }
        let videoId = job.payload.videoId
        // Bookkeeping first. A failure here (Redis or MongoDB unreachable) is no attempt of the
        // job: the entry stays pending and is picked up again later.
        let video: VideoSnapshot
        do {
            guard let found = try await media.video(videoId), !found.status.isTerminal, !(try await queue.isDone(videoId)) else {
                try await queue.acknowledge(queued)  // deleted, or already finished: nothing to do
                return
            }
            video = found
            switch try await queue.lock(videoId, for: queued) {
            case .acquired: break
            case .heldForThisEntry:
                logger.info("job still locked by its previous worker", metadata: ["videoId": "\(videoId)"])
                return
            case .heldForAnotherEntry:
                logger.info("duplicate job acknowledged", metadata: ["videoId": "\(videoId)", "entry": "\(queued.entryID)"])
                try await queue.acknowledge(queued)
                return
            }
            let deliveries = try await queue.deliveries(of: queued.entryID)
            if deliveries > settings.maxAttempts {
                try await giveUp(
                    queued, videoId: videoId, reason: "The video could not be processed: its worker stopped \(deliveries - 1) times.",
                    attempts: deliveries, deadLetter: true)
                await queue.unlock(videoId, for: queued)
                return
            }
            // A file whose processing killed its worker is given to one more worker, not more:
            // the third start of the same entry would likely kill a third worker.
            let starts = try await queue.recordStart(queued)
            if starts > Self.crashedStartsLimit {
                try await giveUp(queued, videoId: videoId, reason: Self.crashedReason, attempts: starts - 1, deadLetter: true)
                await queue.unlock(videoId, for: queued)
                return
            }
        } catch {
            logger.warning("job left pending: bookkeeping failed", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
            try? await Task.sleep(for: .seconds(1))
            return
        }

        let lockLost = StopFlag()
        let heartbeat = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: settings.claimIdle / 3)
                if (try? await queue.heartbeat(queued, videoId: videoId)) == false {
                    lockLost.set()  // another worker has it now: stop, do not publish
                    return
                }
            }
        }
        let outcome: (renditions: [Rendition], captionsPending: Bool)
        do {
            outcome = try await runWithGrace(stopping: stopping, lockLost: lockLost) { try await pipeline.run(video) }
        } catch {
            heartbeat.cancel()
            if lockLost.isSet {
                logger.warning("lock lost; the job continues elsewhere", metadata: ["videoId": "\(videoId)"])
            } else if error is CancellationError || stopping.isSet {
                logger.notice("job released at shutdown", metadata: ["videoId": "\(videoId)"])
                try? await queue.release(queued)
            } else if case JobFailure.permanent(let reason) = error {
                try? await giveUp(queued, videoId: videoId, reason: reason, attempts: job.payload.attempt ?? 1, deadLetter: false)
            } else {
                await retryOrGiveUp(queued, job: job, error: error)
            }
            await queue.unlock(videoId, for: queued)
            return
        }
        heartbeat.cancel()
        // `video.ready` is out: from here on nothing may turn this into a retry or a failure.
        await finish(queued, videoId: videoId, captionsPending: outcome.captionsPending)
        logger.info("video ready", metadata: ["videoId": "\(videoId)", "rungs": "\(outcome.renditions.map { $0.quality })"])
    }

    /// Records the video as done, schedules its captions if pending, acknowledges the job;
    /// each step retried a few times (a Redis blip must not lose the captions or redo the job).
    private func finish(_ queued: QueuedJob, videoId: VideoID, captionsPending: Bool) async {
        for attempt in 1...5 {
            do {
                try await queue.markDone(videoId)
                if captionsPending { try await queue.scheduleCaptions(videoId, attempt: 1, after: settings.captionRetry) }
                try await queue.acknowledge(queued)
                await queue.unlock(videoId, for: queued)
                return
            } catch {
                logger.warning("finishing the job failed; trying again", metadata: ["videoId": "\(videoId)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: .seconds(Int64(attempt)))
            }
        }
        // Left pending: a take-over finds the done marker (if it was written) and only acknowledges.
    }

    /// Runs the job; once shutdown starts, it gets the grace period and is then cancelled; it is
    /// cancelled at once when the video's lock is lost.
    private func runWithGrace<T: Sendable>(
        stopping: StopFlag, lockLost: StopFlag, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let work = Task { try await body() }
        let grace = settings.shutdownGrace
        let guardTask = Task {
            var shutdownSince: ContinuousClock.Instant?
            while !Task.isCancelled {
                if lockLost.isSet { work.cancel(); return }
                if stopping.isSet {
                    let since = shutdownSince ?? ContinuousClock.now
                    shutdownSince = since
                    if ContinuousClock.now - since >= grace { work.cancel(); return }
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        defer { guardTask.cancel() }
        return try await withTaskCancellationHandler { try await work.value } onCancel: { work.cancel() }
    }

    private func retryOrGiveUp(_ queued: QueuedJob, job: TranscodeJob, error: any Error) async {
        let attempt = job.payload.attempt ?? 1
        let reason = (error as? JobFailure)?.description ?? "An internal error occurred."
        logger.warning("attempt failed", metadata: ["videoId": "\(job.payload.videoId)", "attempt": "\(attempt)", "error": "\(error)"])
        do {
            if attempt >= settings.maxAttempts {
                try await giveUp(
                    queued, videoId: job.payload.videoId, reason: "\(reason) (after \(attempt) attempts)", attempts: attempt, deadLetter: true)
                return
            }
            let delay = settings.retryBase * Int(pow(2, Double(attempt - 1)))
            let next = TranscodeJob(videoId: job.payload.videoId, owner: job.payload.owner, attempt: attempt + 1)
            try await queue.retry(queued, next: next, after: delay)
            await events.progress(VideoProgressEvent(
                videoId: job.payload.videoId, stage: .queued, percent: 0,
                logLine: "attempt \(attempt) failed (\(reason)); retrying in \(delay.components.seconds) s"))
        } catch {
            logger.error("could not schedule the retry; the job stays pending", metadata: ["error": "\(error)"])
        }
    }

    /// Marks the video failed; a job that used up its retries also goes to the dead letters.
    private func giveUp(_ queued: QueuedJob, videoId: VideoID, reason: String, attempts: Int, deadLetter: Bool) async throws {
        try? await media.deleteMedia(of: videoId)  // nothing half-written stays published
        try await events.publish(VideoFailedEvent(videoId: videoId, reason: reason))
        await events.progress(VideoProgressEvent(videoId: videoId, stage: .queued, percent: 100, logLine: "failed: \(reason)"))
        if deadLetter {
            try await queue.deadLetter(queued, reason: reason, attempts: attempts)
        } else {
            try await queue.acknowledge(queued)
        }
        logger.notice("video failed", metadata: ["videoId": "\(videoId)", "reason": "\(reason)"])
    }
}

/// Set once graceful shutdown begins.
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
