import ClipCutCore
import Foundation
import Redis
import Testing

@testable import ProcessingService

@Suite("clipcut:events consumers: a replica that dies with a batch read is taken over by one with another name", .serialized)
struct EventTakeOverTests {
    /// This suite's own Redis database (it flushes it).
    static let redisDatabase = 9

    @Test("upload-service pod A dies with an event read and not acknowledged; pod B (another name) takes it over and applies what follows")
    func replacedPod() async throws {
        let redisURL = try ProcessingFixture.environment("CLIPCUT_REDIS_URL")
        let base = String(redisURL[..<(redisURL.lastIndex(of: "/") ?? redisURL.endIndex)])
        let redis = RedisClient(configuration: try RedisConfiguration(url: "\(base)/\(Self.redisDatabase)"))
        _ = try await redis.execute(["FLUSHDB"])
        let fixture = try await ProcessingFixture(
            redisDatabase: Self.redisDatabase,
            uploadEnvironment: [ConfigKey.consumerName.name: "upload-pod-a", ConfigKey.eventsClaimIdle.name: "1"])
        let video = try await fixture.addVideo(try await makeSource("clip.mp4", video: "testsrc2=size=320x240:rate=25", seconds: 1))
        // Pod A dies with a batch read but not acknowledged. Its read is made here, under its
        // name, once its consumer group exists and the process is gone: freezing the process
        // while it is blocked in XREADGROUP would depend on catching it there.
        let groupExists = try await eventually(60) {
            let groups = try await redis.execute(["XINFO", "GROUPS", RedisNames.eventsStream])
            return groups.array?.contains { $0.array?.contains { $0.string == RedisNames.uploadGroup } ?? false } ?? false
        }
        #expect(groupExists, "pod A created its consumer group")
        kill(fixture.uploadService.processIdentifier, SIGKILL)
        fixture.uploadService.waitUntilExit()
        let rendition = Rendition(quality: "240p", width: 320, height: 240, bitrate: 300_000, size: 1000)
        for event in [
            try VideoTranscodingEvent(videoId: video.id, rungs: ["240p"], durationSeconds: 1).jsonString(),
            try VideoReadyEvent(videoId: video.id, renditions: [rendition], durationSeconds: 1).jsonString(),
        ] {
            try await redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: event])
        }
        // The dead pod's read: video.transcoding delivered to upload-pod-a, never acknowledged;
        // video.ready not read yet.
        _ = try await redis.execute([
            "XREADGROUP", "GROUP", RedisNames.uploadGroup, "upload-pod-a", "COUNT", "1", "STREAMS", RedisNames.eventsStream, ">",
        ])
        let pending = try await redis.xpending(RedisNames.eventsStream, group: RedisNames.uploadGroup, start: "-", end: "+", count: 10)
        #expect(pending.count == 1 && pending.allSatisfy { $0.consumer == "upload-pod-a" })

        // The replacement comes up under a new name, as a Kubernetes pod does.
        let (podB, podBURL) = try await ProcessingFixture.startUploadService(
            mongoURL: fixture.mongoURL, redisURL: fixture.redisURL, scratch: fixture.scratch, http: fixture.http,
            extra: [ConfigKey.consumerName.name: "upload-pod-b", ConfigKey.eventsClaimIdle.name: "1"])
        defer { podB.terminate() }
        let media = UploadServiceMediaAccess(http: fixture.http, baseURL: podBURL, token: nil)
        let applied = try await eventually(60) { try await media.video(video.id)?.status == .ready }
        #expect(applied, "pod B took over video.ready from the dead pod A")
        #expect(try await eventually(60) { try await redis.xpending(RedisNames.eventsStream, group: RedisNames.uploadGroup).count == 0 })
        podB.terminate()
        await podB.exited()
        _ = try? await redis.execute(["FLUSHDB"])
        await redis.shutdown()
        await fixture.shutdown()
    }

    @Test("upload-, audio- and processing-service refuse to start without CLIPCUT_SERVICE_TOKEN (unless development use is declared)")
    func refuseWithoutServiceToken() async throws {
        let bin = try ProcessingFixture.environment("CLIPCUT_BIN_DIR")
        for service in ["upload-service", "audio-service", "processing-service"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "\(bin)/\(service)")
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: ConfigKey.serviceToken.name)
            environment.removeValue(forKey: ConfigKey.allowNoServiceToken.name)
            environment[ConfigKey.httpPort.name] = String(Int.random(in: 20000...60000))
            environment[ConfigKey.dataDirectory.name] = NSTemporaryDirectory() + "refuse-\(UUID().uuidString)"
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus != 0, "\(service) started without a service token")
            #expect(text.contains("CLIPCUT_SERVICE_TOKEN"), "\(service): \(text.suffix(300))")
        }
    }

    /// Waits until `condition` holds, checking every 200 ms, for at most `seconds`.
    func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        try await WorkerTests.eventually(seconds, condition)
    }
}
