import ClipCutCore
import Foundation
import Logging
import MediaStore
import Redis
import Testing

@testable import ProcessingService

@Suite("Durable jobs: retries, dead letters, a worker killed mid-transcode", .serialized)
struct WorkerTests {
    /// This suite's own Redis database (its tests run one after another and flush it). Each suite
    /// that flushes a database has its own number: monitoring-service's tests use 15.
    static let redisDatabase = 14

    /// Decoded events of `clipcut:events` about `id`.
    static func events(_ redis: RedisClient, about id: VideoID) async throws -> [ClipCutEvent] {
        try await redis.xrange(RedisNames.eventsStream).compactMap { $0.fields[RedisNames.messageField].flatMap { try? ClipCutEvent.decode(from: $0) } }
            .filter { $0.videoId == id }
    }

    static func enqueue(_ redis: RedisClient, _ video: VideoSnapshot) async throws {
        try await redis.xadd(RedisNames.jobsStream, fields: [RedisNames.messageField: try TranscodeJob(videoId: video.id, owner: video.owner).jsonString()])
    }

    /// Waits until `condition` holds, checking every 200 ms, for at most `seconds`.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await condition()
    }

    /// A fixture on this suite's Redis database, emptied.
    static func setUp() async throws -> (ProcessingFixture, RedisClient) {
        let fixture = try await ProcessingFixture(redisDatabase: redisDatabase)
        let redis = RedisClient(configuration: try RedisConfiguration(url: fixture.redisURL))
        _ = try await redis.execute(["FLUSHDB"])
        return (fixture, redis)
    }

    static func tearDown(_ fixture: ProcessingFixture, _ redis: RedisClient) async {
        _ = try? await redis.execute(["FLUSHDB"])
        await redis.shutdown()
        await fixture.shutdown()
    }

    /// Runs the processing-service executable against the fixture's database and Redis.
    static func startWorker(_ binary: String, _ fixture: ProcessingFixture, name: String, extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.environment = ProcessInfo.processInfo.environment.merging([
            ConfigKey.uploadServiceURL.name: fixture.uploadURL, ConfigKey.redisURL.name: fixture.redisURL,
            // Port 0: the system picks a free one (a random port could be taken, and the worker would exit).
            ConfigKey.httpPort.name: "0", ConfigKey.dataDirectory.name: "\(fixture.scratch)/\(name)",
            ConfigKey.jobClaimIdle.name: "10", ConfigKey.audioServiceURL.name: try ProcessingFixture.environment("CLIPCUT_AUDIO_SERVICE_URL"),
            ConfigKey.logLevel.name: "info",
        ].merging(extra) { $1 }) { $1 }
        // Its log (swift-log writes to standard output), for a test that fails: `\(fixture.scratch)/<name>.log`.
        let log = "\(fixture.scratch)/\(name).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log) ?? FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// The end of a worker's log (see ``startWorker(_:_:name:extra:)``).
    static func log(_ fixture: ProcessingFixture, _ name: String) -> String {
        ((try? String(contentsOfFile: "\(fixture.scratch)/\(name).log", encoding: .utf8)) ?? "").suffix(3000).description
    }

    /// Waits until the video's log shows the encode under way.
    static func encoding(_ redis: RedisClient, _ id: VideoID) async throws -> Bool {
        try await eventually(60) {
            try await redis.xrange(RedisNames.logStream(for: id)).contains {
                guard let json = $0.fields[RedisNames.messageField], case .videoProgress(let event)? = try? ClipCutEvent.decode(from: json) else { return false }
                return event.payload.stage == .transcoding && event.payload.percent > 5
            }
        }
    }

    @Test("SIGTERM mid-transcode: the worker hands the job back within its grace period and exits; the next worker finishes it")
    func gracefulShutdown() async throws {
        let (fixture, redis) = try await Self.setUp()
        let binary = try ProcessingFixture.environment("CLIPCUT_BIN_DIR") + "/processing-service"
        let video = try await fixture.addVideo(try await makeSource("long.mp4", video: "testsrc2=size=1280x720:rate=30", seconds: 20))
        try await Self.enqueue(redis, video)
        let first = try Self.startWorker(binary, fixture, name: "a", extra: [ConfigKey.shutdownGrace.name: "1"])
        #expect(try await Self.encoding(redis, video.id), "the worker never started encoding")
        first.terminate()  // SIGTERM
        let exited = try await Self.eventually(30) { !first.isRunning }
        #expect(exited, "the worker did not exit after SIGTERM; its log: \(Self.log(fixture, "a"))")
        // Handed back: the old entry acknowledged, a fresh one queued, nothing half-published.
        #expect(try await redis.xpending(RedisNames.jobsStream, group: RedisNames.processingGroup).count == 0)
        #expect(try await redis.xlen(RedisNames.jobsStream) == 2)
        #expect(try await Self.events(redis, about: video.id).allSatisfy { $0.type != .videoReady && $0.type != .videoFailed })

        let second = try Self.startWorker(binary, fixture, name: "b")
        defer { second.terminate() }
        #expect(try await Self.eventually(240) { try await Self.events(redis, about: video.id).contains { $0.type == .videoReady } })
        let names = try await fixture.mediaNames(video.id)
        #expect(names.count == Set(names).count && names.contains(MediaLayout.hlsMaster(video.id)))
        second.terminate()
        await second.exited()
        await Self.tearDown(fixture, redis)
    }

    @Test("a job that keeps failing is retried with backoff, then dead-lettered once with the reason, and the video marked failed")
    func retriesThenDeadLetter() async throws {
        let (fixture, redis) = try await Self.setUp()
        // An encoder preset that does not exist makes every encode fail: a transient failure.
        let settings = try fixture.settings([ConfigKey.encoderPreset.name: "no-such-preset"])
        let worker = JobWorker.live(settings: settings, redis: redis, http: fixture.http, logger: Logger(label: "worker"))
        let video = try await fixture.addVideo(try await makeSource("clip.mp4", video: "testsrc2=size=320x240:rate=25", seconds: 1))
        try await Self.enqueue(redis, video)
        let running = Task { try await worker.run() }
        let deadLettered = try await Self.eventually(60) { try await redis.xlen(RedisNames.deadLetterStream) > 0 }
        running.cancel()
        #expect(deadLettered)
        let dead = try await redis.xrange(RedisNames.deadLetterStream)
        #expect(dead.count == 1)
        #expect(dead.first?.fields["attempts"] == "3")
        #expect(dead.first?.fields["reason"]?.contains("after 3 attempts") == true)
        let failures = try await Self.events(redis, about: video.id).filter { $0.type == .videoFailed }
        #expect(failures.count == 1)
        let log = try await redis.xrange(RedisNames.logStream(for: video.id)).compactMap { $0.fields[RedisNames.messageField] }
        #expect(log.contains { $0.contains("attempt 1 failed") } && log.contains { $0.contains("attempt 2 failed") })
        #expect(try await redis.xpending(RedisNames.jobsStream, group: RedisNames.processingGroup).count == 0)
        #expect(try await redis.execute(["ZCARD", RedisNames.delayedJobs]).integer == 0)
        #expect(try await fixture.mediaNames(video.id).isEmpty)
        await Self.tearDown(fixture, redis)
    }

    @Test("SIGKILL a worker mid-transcode, after the video became playable: a second worker takes the job over, replaces the stored segments in place (the video stays playable) and finishes it; no duplicate outputs, the joined video whole")
    func killedWorker() async throws {
        let (fixture, redis) = try await Self.setUp()
        let binary = try ProcessingFixture.environment("CLIPCUT_BIN_DIR") + "/processing-service"
        let video = try await fixture.addVideo(try await makeSource(
            "long.mp4", video: "testsrc2=size=1280x720:rate=30", seconds: 20, tone: true, codec: ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "6M"]))
        try await Self.enqueue(redis, video)
        let first = try Self.startWorker(binary, fixture, name: "a")
        #expect(try await Self.encoding(redis, video.id), "the first worker never started encoding")
        let playable = try await Self.eventually(60) { try await Self.events(redis, about: video.id).contains { $0.type == .videoPlayable } }
        #expect(playable, "the first worker never made the video playable")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(try await Self.events(redis, about: video.id).allSatisfy { $0.type != .videoReady })
        let storedAtKill = try await fixture.mediaNames(video.id)
        #expect(storedAtKill.contains(MediaLayout.hlsMaster(video.id)))

        let second = try Self.startWorker(binary, fixture, name: "b")
        defer { second.terminate() }
        // Once the second worker has started its attempt, everything the first one published is
        // still there: nothing was deleted to start clean (the video stays playable).
        let restarted = try await Self.eventually(60) {
            try await Self.events(redis, about: video.id).filter { $0.type == .videoTranscoding }.count == 2
        }
        #expect(restarted, "the second worker never started its attempt")
        let storedAfterRestart = Set(try await fixture.mediaNames(video.id))
        #expect(storedAtKill.allSatisfy { storedAfterRestart.contains($0) }, "stored media was deleted: the video stopped being playable")
        let ready = try await Self.eventually(240) { try await Self.events(redis, about: video.id).contains { $0.type == .videoReady } }
        #expect(ready)
        let names = try await fixture.mediaNames(video.id)
        #expect(names.count == Set(names).count, "duplicate outputs: \(names)")
        for quality in ["720p", "480p", "360p"] {
            #expect(names.contains(MediaLayout.renditionMP4(video.id, quality: quality)))
        }
        #expect(names.contains(MediaLayout.hlsMaster(video.id)))
        #expect(try await Self.events(redis, about: video.id).filter { $0.type == .videoReady }.count == 1)
        // The joined playlist decodes end to end with every frame once: segments of both workers.
        let root = try await fixture.download(video.id, to: scratchFile("taken-over"))
        for quality in ["720p", "360p"] {
            let joined = scratchFile("\(quality).mp4")
            try await LivePlaybackTests.readLive("\(root)/hls/\(quality)/index.m3u8", to: joined)
            let read = try await LivePlaybackTests.frames(joined)
            #expect(read.count == 600 && abs(read.duration - 20) < 0.2, "\(quality): \(read)")
        }
        #expect(try await Self.eventually(60) { try await redis.xpending(RedisNames.jobsStream, group: RedisNames.processingGroup).count == 0 })
        second.terminate()
        await second.exited()
        await Self.tearDown(fixture, redis)
    }

    @Test("a file whose processing killed two workers is not given to a third: dead-lettered as crashing the worker")
    func crashingFile() async throws {
        let (fixture, redis) = try await Self.setUp()
        let binary = try ProcessingFixture.environment("CLIPCUT_BIN_DIR") + "/processing-service"
        let video = try await fixture.addVideo(try await makeSource("crash.mp4", video: "testsrc2=size=1280x720:rate=30", seconds: 20))
        try await Self.enqueue(redis, video)
        let entry = try #require(try await redis.xrange(RedisNames.jobsStream).first?.id)
        let starts = { try await redis.get(RedisNames.jobStarts(entryID: entry)).flatMap { Int($0) } ?? 0 }
        for (round, name) in ["a", "b"].enumerated() {
            // Each worker gets as far as processing the file; then the file "kills" it.
            let worker = try Self.startWorker(binary, fixture, name: name)
            let started = try await Self.eventually(60) { try await starts() == round + 1 }
            #expect(started, "worker \(name) never started the job; its log: \(Self.log(fixture, name))")
            try await Task.sleep(for: .seconds(1))
            kill(worker.processIdentifier, SIGKILL)
            worker.waitUntilExit()
        }
        let third = try Self.startWorker(binary, fixture, name: "c")
        defer { third.terminate() }
        #expect(try await Self.eventually(60) { try await redis.xlen(RedisNames.deadLetterStream) > 0 })
        let dead = try await redis.xrange(RedisNames.deadLetterStream)
        #expect(dead.count == 1 && dead.first?.fields["reason"] == JobWorker.crashedReason && dead.first?.fields["entry"] == entry)
        let events = try await Self.events(redis, about: video.id)
        #expect(events.contains { if case .videoFailed(let failed) = $0 { failed.payload.reason == JobWorker.crashedReason } else { false } })
        #expect(!events.contains { $0.type == .videoReady })
        #expect(try await starts() == 0, "the counter goes with the entry")
        #expect(try await Self.eventually(60) { try await redis.xpending(RedisNames.jobsStream, group: RedisNames.processingGroup).count == 0 })
        third.terminate()
        await third.exited()
        await Self.tearDown(fixture, redis)
    }
}
