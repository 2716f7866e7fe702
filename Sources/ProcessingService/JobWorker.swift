import Primitives
import ClipCutCore
import Foundation
import Jobs
import Logging
import ServiceLifecycle

/// Takes jobs from the ``JobQueue`` and runs them through a ``VideoProcessing``, `concurrency`
/// at a time.
///
/// - A job is completed only when its video is `ready` or finally `failed`.
/// - While a job runs, a heartbeat keeps it and renews the video's lock; a job whose worker died
///   (no heartbeat for `claimIdle`) is taken over by another worker.
/// - A transient failure is retried after `retryBase × 2^(attempt−1)`, up to `maxAttempts`; then the
///   job goes to the dead letters with the reason and the video is marked `failed`. "Not a
///   video" fails at once. A job delivered more than `maxAttempts` times (its workers kept dying)
///   is dead-lettered too.
/// - On graceful shutdown no new job is taken; the running one may finish within the grace
///   period, else it is cancelled (ffmpeg killed) and handed back for another worker.
///
/// Each job is one task group: the work, its heartbeat and its shutdown grace; the first to end
/// decides, and the group cancels the others.
struct JobWorker: Service {
    let queue: any JobQueue
    let processor: any VideoProcessing
    let captions: any CaptionRetrySchedule
    let media: any MediaAccess
    let events: any EventReporter
    let policy: JobPolicy
    let logger: Logger

    /// Starts of one entry that may end without completion before it is dead-lettered.
    static let crashedStartsLimit = 2
    /// The failure reason of a file whose processing killed its worker twice.
    static let crashedReason = "processing this file crashed the worker"

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for _ in 0..<policy.concurrency {
                group.addTask { await workLoop() }
            }
            group.addTask { await retryLoop() }
        }
    }

    private func workLoop() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // Only the wait for a job ends at shutdown; a job already taken gets its grace.
                guard let job = try await cancelWhenGracefulShutdown({ try await queue.claimNext(wait: policy.claimWait) }) else {
                    continue
                }
                if Task.isShuttingDownGracefully {
                    try? await queue.release(job)  // taken just as shutdown began (no lock yet): hand it straight back
                    return
                }
                await handle(job)
            } catch is CancellationError {
                continue  // shutdown: the loop condition ends it
            } catch {
                logger.warning("job queue unavailable", metadata: ["error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
    }

    /// Retries that are due go back to the queue, every `retryPoll` until shutdown.
    private func retryLoop() async {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await queue.releaseDueRetries(now: Date())
                } catch is CancellationError {
                    return
                } catch {
                    logger.debug("retry release skipped", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: policy.retryPoll)
            }
        }
    }

    /// How one job's task group ended.
    private enum Ending: Sendable {
        case processed(ProcessedVideo)
        case lockLost
        case graceOver
    }

    func handle(_ claimed: ClaimedJob) async {
        guard let job = claimed.job else {
            logger.error("malformed job dead-lettered", metadata: ["entry": "\(claimed.id)"])
            try? await queue.deadLetter(claimed, reason: "malformed job", attempts: 0)
            return
        }
        let videoId = job.payload.videoId
        guard let video = await admit(claimed, videoId: videoId) else { return }

        let ending: Ending
        do {
            ending = try await withThrowingTaskGroup(of: Ending.self) { group in
                group.addTask { .processed(try await processor.process(video)) }
                group.addTask {
                    try await keepAlive(claimed, videoId: videoId)
                    return .lockLost
                }
                group.addTask {
                    try await gracefulShutdown()
                    try await Task.sleep(for: policy.shutdownGrace)
                    return .graceOver
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw CancellationError() }
                return first
            }
        } catch JobFailure.permanent(let reason) {
            try? await giveUp(claimed, videoId: videoId, reason: reason, attempts: job.payload.attempt ?? 1, deadLetter: false)
            await queue.unlock(videoId, for: claimed)
            return
        } catch is CancellationError {
            logger.notice("job released: its task was cancelled", metadata: ["videoId": "\(videoId)"])
            // The lock first: a worker that takes the released entry at once must find it free,
            // or it would take the entry for a duplicate and complete it.
            await queue.unlock(videoId, for: claimed)
            try? await queue.release(claimed)
            return
        } catch {
            await retryOrGiveUp(claimed, job: job, error: error)
            await queue.unlock(videoId, for: claimed)
            return
        }
        switch ending {
        case .processed(let outcome):
            // `video.ready` is out: from here on nothing may turn this into a retry or a failure.
            await finish(claimed, videoId: videoId, captionsPending: outcome.captionsPending)
            logger.info("video ready", metadata: ["videoId": "\(videoId)", "rungs": "\(outcome.renditions.map { $0.quality })"])
        case .lockLost:
            logger.warning("lock lost; the job continues elsewhere", metadata: ["videoId": "\(videoId)"])
        case .graceOver:
            logger.notice("job released at shutdown", metadata: ["videoId": "\(videoId)"])
            await queue.unlock(videoId, for: claimed)  // before the release, as above
            try? await queue.release(claimed)
        }
    }

    /// Bookkeeping before the work: the video still wants processing, the lock is this job's,
    /// and the entry has not killed too many workers. A failure here (Redis or upload-service
    /// unreachable) is no attempt of the job: it stays pending and is picked up again later.
    /// - Returns: the video to process, or `nil` when there is nothing (more) to do here.
    private func admit(_ claimed: ClaimedJob, videoId: VideoID) async -> VideoSnapshot? {
        do {
            guard let video = try await media.video(videoId), !video.status.isTerminal, !(try await queue.isDone(videoId)) else {
                try await queue.complete(claimed)  // deleted, or already finished: nothing to do
                return nil
            }
            switch try await queue.lock(videoId, for: claimed) {
            case .acquired: break
            case .heldForThisEntry:
                logger.info("job still locked by its previous worker", metadata: ["videoId": "\(videoId)"])
                return nil
            case .heldForAnotherEntry:
                logger.info("duplicate job completed", metadata: ["videoId": "\(videoId)", "entry": "\(claimed.id)"])
                try await queue.complete(claimed)
                return nil
            }
            let deliveries = try await queue.deliveries(of: claimed)
            if deliveries > policy.maxAttempts {
                try await giveUp(
                    claimed, videoId: videoId, reason: "The video could not be processed: its worker stopped \(deliveries - 1) times.",
                    attempts: deliveries, deadLetter: true)
                await queue.unlock(videoId, for: claimed)
                return nil
            }
            // A file whose processing killed its worker is given to one more worker, not more:
            // the third start of the same entry would likely kill a third worker.
            let starts = try await queue.recordStart(of: claimed)
            if starts > Self.crashedStartsLimit {
                try await giveUp(claimed, videoId: videoId, reason: Self.crashedReason, attempts: starts - 1, deadLetter: true)
                await queue.unlock(videoId, for: claimed)
                return nil
            }
            return video
        } catch {
            logger.warning("job left pending: bookkeeping failed", metadata: ["videoId": "\(videoId)", "error": "\(error)"])
            try? await Task.sleep(for: .seconds(1))
            return nil
        }
    }

    /// Heartbeats every `policy.heartbeat`; returns when the lock is no longer this job's.
    /// A heartbeat that fails (Redis away) is tried again at the next beat.
    private func keepAlive(_ claimed: ClaimedJob, videoId: VideoID) async throws {
        while true {
            try await Task.sleep(for: policy.heartbeat)
            if (try? await queue.heartbeat(claimed, videoId: videoId)) == false { return }
        }
    }

    /// Records the video as done, schedules its captions if pending, completes the job; each step
    /// retried a few times (a Redis blip must not lose the captions or redo the job).
    private func finish(_ claimed: ClaimedJob, videoId: VideoID, captionsPending: Bool) async {
        for attempt in 1...5 {
            do {
                try await queue.markDone(videoId)
                if captionsPending { try await captions.schedule(videoId, attempt: 1, after: policy.captionRetry) }
                try await queue.complete(claimed)
                await queue.unlock(videoId, for: claimed)
                return
            } catch {
                logger.warning("finishing the job failed; trying again", metadata: ["videoId": "\(videoId)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: .seconds(Int64(attempt)))
            }
        }
        // Left pending: a take-over finds the done marker (if it was written) and only completes.
    }

    private func retryOrGiveUp(_ claimed: ClaimedJob, job: TranscodeJob, error: any Error) async {
        let attempt = job.payload.attempt ?? 1
        let reason = (error as? JobFailure)?.description ?? "An internal error occurred."
        logger.warning("attempt failed", metadata: ["videoId": "\(job.payload.videoId)", "attempt": "\(attempt)", "error": "\(error)"])
        do {
            if attempt >= policy.maxAttempts {
                try await giveUp(
                    claimed, videoId: job.payload.videoId, reason: "\(reason) (after \(attempt) attempts)", attempts: attempt, deadLetter: true)
                return
            }
            let delay = policy.retryDelay(after: attempt)
            let next = TranscodeJob(videoId: job.payload.videoId, owner: job.payload.owner, attempt: attempt + 1)
            try await queue.retryLater(claimed, next: next, after: delay)
            await events.progress(VideoProgressEvent(
                videoId: job.payload.videoId, stage: .queued, percent: 0,
                logLine: "attempt \(attempt) failed (\(reason)); retrying in \(delay.wholeSecondsRoundedUp()) s"))
        } catch {
            logger.error("could not schedule the retry; the job stays pending", metadata: ["error": "\(error)"])
        }
    }

    /// Marks the video failed; a job that used up its retries also goes to the dead letters.
    private func giveUp(_ claimed: ClaimedJob, videoId: VideoID, reason: String, attempts: Int, deadLetter: Bool) async throws {
        try? await media.deleteMedia(of: videoId)  // nothing half-written stays published
        try await events.publish(VideoFailedEvent(videoId: videoId, reason: reason))
        await events.progress(VideoProgressEvent(videoId: videoId, stage: .queued, percent: 100, logLine: "failed: \(reason)"))
        if deadLetter {
            try await queue.deadLetter(claimed, reason: reason, attempts: attempts)
        } else {
            try await queue.complete(claimed)
        }
        logger.notice("video failed", metadata: ["videoId": "\(videoId)", "reason": "\(reason)"])
    }
}
