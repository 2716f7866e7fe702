import AuthTestSupport
import ClipCutCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MediaStore
import Prometheus
import Redis
import ServiceSupport
import Testing

@testable import UploadService

/// upload-service over the real SecantusDB and Redis that `scripts/test` starts, each test in
/// a MongoDB database of its own, served on a free port (`.live`).
struct LiveUploadService {
    let store: MediaStore
    let redis: RedisClient
    let auth: TestAuth
    let dependencies: UploadServiceDependencies

    static func environment(_ name: String) throws -> String {
        try #require(ProcessInfo.processInfo.environment[name], "\(name) is not set: run the tests through scripts/test")
    }

    /// Runs `body` against a live service, then shuts the clients down.
    static func run(
        quotaBytes: Int64 = 4 << 30, settings overrides: [String: String] = [:], _ body: @escaping @Sendable (LiveUploadService, any TestClientProtocol) async throws -> Void) async throws {
        let mongo = try environment("CLIPCUT_MONGO_URL")
        let database = "t_upload_\(UUID().uuidString.prefix(8).lowercased())"
        let base = mongo.split(separator: "/", omittingEmptySubsequences: false).prefix(3).joined(separator: "/")
        let store = try MediaStore(configuration: .init(uri: "\(base)/\(database)"))
        let redis = RedisClient(configuration: try RedisConfiguration(url: try environment("CLIPCUT_REDIS_URL")))
        let auth = try TestAuth()
        let settings = try UploadServiceSettings(
            reader: ConfigReader(environment: [
                ConfigKey.uploadQuotaBytes.name: String(quotaBytes),
                ConfigKey.playbackSecret.name: "integration secret, long enough to sign",
                ConfigKey.allowNoServiceToken.name: "true",
            ].merging(overrides) { $1 }),
            logger: Logger(label: "upload-test"))
        let (dependencies, stores) = UploadServiceDependencies.live(
            store: store, redis: redis, verifier: auth.verifier, settings: settings, logger: Logger(label: "upload-test"))
        try await stores.ensureIndexes()
        let service = LiveUploadService(store: store, redis: redis, auth: auth, dependencies: dependencies)
        let app = Application(
            router: buildRouter(dependencies: dependencies, metricsRegistry: PrometheusCollectorRegistry()),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        do {
            try await app.test(.live) { client in try await body(service, client) }
        } catch {
            try? await store.runCommand(["dropDatabase": 1])
            await store.shutdown()
            await redis.shutdown()
            throw error
        }
        try? await store.runCommand(["dropDatabase": 1])
        await store.shutdown()
        await redis.shutdown()
    }
}

/// Runs a program to completion on a Dispatch thread (the calling task waits without holding a
/// cooperative thread, which live servers in this process need); throws with its standard
/// error when it fails.
@discardableResult
func run(_ executable: String, _ arguments: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try runBlocking(executable, arguments) }) }
    }
}

private func runBlocking(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(executable) failed (\(process.terminationStatus)): \(String(decoding: errData, as: UTF8.self))")
    }
    return String(decoding: outData, as: UTF8.self)
}

/// A path in the temporary directory no other test uses.
func scratchPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-upload-\(UUID().uuidString)-\(name)").path
}

/// A real H.264/AAC MP4 made by ffmpeg from lavfi sources.
func ffmpegClip(seconds: Int = 3, size: String = "320x240") async throws -> String {
    let path = scratchPath("clip.mp4")
    try await run("/usr/bin/ffmpeg", [
        "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", String(seconds),
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-movflags", "+faststart", path,
    ])
    return path
}
