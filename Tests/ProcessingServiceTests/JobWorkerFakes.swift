import ClipCutCore
import Foundation
import Jobs
import Logging
import ServiceLifecycleTestKit
import Synchronization

@testable import ProcessingService

/// Video documents in memory; the worker only reads them and deletes media.
final class FakeMedia: MediaAccess {
    let videos = Mutex<[VideoID: VideoSnapshot]>([:])
    let deletedMedia = Mutex<[VideoID]>([])

    struct NotInTheseTests: Error {}

    /// Adds an `uploaded` video and returns its job.
    func add() -> TranscodeJob {
        let video = VideoSnapshot(id: .random(), owner: .random(), status: .uploaded, burnSubtitles: false)
        videos.withLock { $0[video.id] = video }
        return TranscodeJob(videoId: video.id, owner: video.owner)
    }

    func video(_ id: VideoID) async throws -> VideoSnapshot? { videos.withLock { $0[id] } }
    func downloadSource(_ video: VideoSnapshot, to path: String) async throws { throw NotInTheseTests() }
    func store(_ path: String, as name: String, videoId: VideoID, metadata: [String: String]) async throws -> Int { throw NotInTheseTests() }
    func store(bytes: [UInt8], as name: String, videoId: VideoID) async throws { throw NotInTheseTests() }
    func downloadMedia(named name: String, to path: String) async throws -> Bool { false }
    func deleteMedia(of videoId: VideoID) async throws { deletedMedia.withLock { $0.append(videoId) } }
}

/// A processor that does what the test says, counting its calls and its cancellations.
final class ScriptedProcessor: VideoProcessing {
    let calls = Mutex(0)
    let cancellations = Mutex(0)
    let script: @Sendable (Int) async throws -> ProcessedVideo

    /// `script` gets the call's number (1 first).
    init(_ script: @escaping @Sendable (Int) async throws -> ProcessedVideo) {
        self.script = script
    }

    func process(_ video: VideoSnapshot) async throws -> ProcessedVideo {
        let call = calls.withLock { $0 += 1; return $0 }
        do {
            return try await script(call)
        } catch is CancellationError {
            cancellations.withLock { $0 += 1 }
            throw CancellationError()
        }
    }

    static let ready = ProcessedVideo(renditions: [], captionsPending: false)
}

/// A worker on an in-memory queue with fakes around it, and what it reported.
struct WorkerHarness {
    let store = MemoryJobQueue.Store()
    let media = FakeMedia()
    let events = RecordingReporter()
    let captions = MemoryCaptionRetrySchedule()
    let processor: ScriptedProcessor
    var policy = JobPolicy(
        concurrency: 1, claimIdle: .seconds(60), maxAttempts: 3, retryBase: .milliseconds(50),
        shutdownGrace: .milliseconds(200), captionRetry: .seconds(60), claimWait: .milliseconds(20), retryPoll: .milliseconds(20),
        heartbeatInterval: .milliseconds(20))  // locks last long (a loaded machine), heartbeats come often

    init(_ script: @escaping @Sendable (Int) async throws -> ProcessedVideo) {
        processor = ScriptedProcessor(script)
    }

    func queue(_ consumer: String = "worker") -> MemoryJobQueue {
        MemoryJobQueue(store: store, consumer: consumer, claimIdle: policy.claimIdle)
    }

    var worker: JobWorker {
        JobWorker(
            queue: queue(), processor: processor, captions: captions, media: media, events: events, policy: policy,
            logger: Logger(label: "worker-test"))
    }

    /// Runs the worker until `done` holds (checked every 10 ms, at most `seconds`: generous, as
    /// the full test run can starve these tasks for seconds), then shuts it down gracefully, as
    /// the service group would; `during` runs beside it first.
    /// - Returns: whether `done` held.
    @discardableResult
    func run(
        upTo seconds: Double = 60, during: @escaping @Sendable (GracefulShutdownTestTrigger) async throws -> Void = { _ in },
        until done: @escaping @Sendable () async throws -> Bool
    ) async throws -> Bool {
        let worker = self.worker
        return try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await worker.run()
                    return false
                }
                group.addTask {
                    try await during(trigger)
                    let deadline = ContinuousClock.now + .seconds(seconds)
                    while ContinuousClock.now < deadline {
                        if try await done() { break }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    let held = try await done()
                    trigger.triggerGracefulShutdown()
                    return held
                }
                var held = false
                for try await result in group { held = held || result }
                return held
            }
        }
    }
}
