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
    let media: any MediaAccess
    let events: any EventReporter
    let settings: ProcessingSettings
    let logger: Logger

    func run() async throws {
        let stopping = StopFlag()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for slot in 0..<settings.concurrency {
                    group.addTask { await workLoop(slot: slot, stopping: stopping) }
                }
                group.addTask { await maintenanceLoop(stopping: stopping) }
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
                await handle(job, stopping: stopping)
            } catch {
                logger.warning("job queue unavailable", metadata: ["error": "\(error)"])
                prepared = false
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Retries that are due go back to the stream; due caption retries run.
    private func maintenanceLoop(stopping: StopFlag) async {
        while !stopping.isSet && !Task.isCancelled {
            do {
                try await queue.releaseDueRetries()
                if let due = try await queue.takeDueCaptions() {
                    await captionRetry.run(videoId: due.videoId, attempt: due.attempt)
                }
            } catch {
                logger.debug("maintenance skipped", metadata: ["error": "\(error)"])
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
        do {
            guard let video = try await media.video(videoId), !video.status.isTerminal else {
                try await queue.acknowledge(queued)  // deleted, or already finished: nothing to do
                return
            }
            guard try await queue.lock(videoId) else {
                logger.info("video busy on another worker", metadata: ["videoId": "\(videoId)"])
                return
            }
            defer { Task { await queue.unlock(videoId) } }
            let deliveries = try await queue.deliveries(of: queued.entryID)
            if deliveries > settings.maxAttempts {
                try await giveUp(
                    queued, videoId: videoId, reason: "The video could not be processed: its worker stopped \(deliveries - 1) times.",
                    attempts: deliveries, deadLetter: true)
                return
            }
            let heartbeat = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: settings.claimIdle / 3)
                    try? await queue.heartbeat(queued, videoId: videoId)
                }
            }
            defer { heartbeat.cancel() }
            let outcome = try await runWithGrace(stopping: stopping) { try await pipeline.run(video) }
            if outcome.captionsPending {
                try await queue.scheduleCaptions(videoId, attempt: 1, after: settings.captionRetry)
            }
            try await queue.acknowledge(queued)
            logger.info("video ready", metadata: ["videoId": "\(videoId)", "rungs": "\(outcome.renditions.map { $0.quality })"])
        } catch is CancellationError {
            logger.notice("job released at shutdown", metadata: ["videoId": "\(videoId)"])
        } catch JobFailure.permanent(let reason) {
            try? await giveUp(queued, videoId: videoId, reason: reason, attempts: job.payload.attempt ?? 1, deadLetter: false)
        } catch {
            await retryOrGiveUp(queued, job: job, error: error)
        }
    }

    /// Runs the job; once shutdown starts, it gets the grace period and is then cancelled.
    private func runWithGrace<T: Sendable>(stopping: StopFlag, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let work = Task { try await body() }
        let grace = settings.shutdownGrace
        let guardTask = Task {
            while !stopping.isSet { try await Task.sleep(for: .milliseconds(200)) }
            try await Task.sleep(for: grace)
            work.cancel()
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
