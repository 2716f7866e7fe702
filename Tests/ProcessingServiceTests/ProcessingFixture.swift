import AsyncHTTPClient
import ClipCutCore
import Foundation
import Logging
import MediaStore
import Redis
import ServiceSupport
import Synchronization
import Testing

@testable import ProcessingService

/// Records what the pipeline reports.
final class RecordingReporter: EventReporter {
    let events = Mutex<[ClipCutEvent]>([])
    let progressEvents = Mutex<[VideoProgressEvent]>([])

    func publish(_ message: some ClipCutMessage) async throws {
        if let event = ClipCutEvent(message) { events.withLock { $0.append(event) } }
    }

    func progress(_ event: VideoProgressEvent) async { progressEvents.withLock { $0.append(event) } }

    var types: [MessageType] { events.withLock { $0.map(\.type) } }
}

/// A test's own MongoDB database, an upload-service process on it (processing reaches media only
/// through upload-service), the real audio-service `scripts/test` runs, and helpers to make
/// sources, run the pipeline and look at what was stored (the test reads GridFS directly).
struct ProcessingFixture {
    let store: MediaStore
    let uploadService: Process
    let uploadURL: String
    let mongoURL: String
    let redisURL: String
    let scratch: String
    /// upload-service's `CLIPCUT_SERVICE_TOKEN`, if the test gave it one.
    let serviceToken: String?
    /// One client for every fixture, never shut down: a test that throws half-way cannot leave a
    /// client to trap at deinit. Configured like processing-service's own, with no read timeout
    /// (`HTTPClient.shared` gives up after 90 s without a byte: a transcription on a loaded
    /// machine can take longer, and the captions then came out pending).
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(10))))
    let http = ProcessingFixture.client

    static func environment(_ name: String) throws -> String {
        try #require(ProcessInfo.processInfo.environment[name], "\(name) is not set: run the tests through scripts/test")
    }

    /// `redisDatabase` 11 by default: the upload-service process runs its event consumer there, away
    /// from the database other suites use.
    init(redisDatabase: Int = 11, uploadEnvironment: [String: String] = [:]) async throws {
        let base = try Self.environment("CLIPCUT_MONGO_URL").split(separator: "/", omittingEmptySubsequences: false).prefix(3).joined(separator: "/")
        mongoURL = "\(base)/t_proc_\(UUID().uuidString.prefix(8).lowercased())"
        store = try MediaStore(configuration: .init(uri: mongoURL))
        let redis = try Self.environment("CLIPCUT_REDIS_URL")
        redisURL = redisDatabase == 0 ? redis : String(redis[..<(redis.lastIndex(of: "/") ?? redis.endIndex)]) + "/\(redisDatabase)"
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-proc-\(UUID().uuidString)").path
        serviceToken = uploadEnvironment[ConfigKey.serviceToken.name]
        do {
            (uploadService, uploadURL) = try await Self.startUploadService(
                mongoURL: mongoURL, redisURL: redisURL, scratch: scratch, http: http, extra: uploadEnvironment)
        } catch {
            await store.shutdown()
            throw error
        }
    }

    /// Starts an upload-service process on a free port of its own; returns it once it is ready.
    /// A process that exits at once (a port another test took meanwhile) is started again on
    /// another port; its standard error goes to a file under `scratch`, quoted when it fails.
    static func startUploadService(
        mongoURL: String, redisURL: String, scratch: String, http: HTTPClient, extra: [String: String] = [:]
    ) async throws -> (Process, String) {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        var lastLog = ""
        for _ in 0..<3 {
            let port = Int.random(in: 20000...60000)
            let url = "http://127.0.0.1:\(port)"
            let logPath = "\(scratch)/upload-service-\(port).log"
            FileManager.default.createFile(atPath: logPath, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try Self.environment("CLIPCUT_BIN_DIR") + "/upload-service")
            process.environment = ProcessInfo.processInfo.environment.merging([
                ConfigKey.mongoURL.name: mongoURL, ConfigKey.redisURL.name: redisURL, ConfigKey.httpPort.name: String(port),
                ConfigKey.dataDirectory.name: "\(scratch)/upload-service-\(port)", ConfigKey.logLevel.name: "warning",
            ].merging(extra) { $1 }) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: logPath) ?? FileHandle.nullDevice
            try process.run()
            // Generous: on a loaded 2-core CI machine (whisper running beside it) a start can take seconds.
            for _ in 0..<600 where process.isRunning {
                try await Task.sleep(for: .milliseconds(100))
                let response = try? await http.execute(HTTPClientRequest(url: "\(url)/ready"), timeout: .seconds(1))
                if response?.status == .ok { return (process, url) }
            }
            if process.isRunning { process.terminate() }
            lastLog = (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
        }
        Issue.record("upload-service did not become ready; its last log:\n\(lastLog)")
        throw FixtureError.uploadServiceNotReady
    }

    func settings(_ extra: [String: String] = [:]) throws -> ProcessingSettings {
        var environment = [
            ConfigKey.uploadServiceURL.name: uploadURL, ConfigKey.redisURL.name: redisURL, ConfigKey.dataDirectory.name: scratch,
            ConfigKey.audioServiceURL.name: try Self.environment("CLIPCUT_AUDIO_SERVICE_URL"),
            ConfigKey.jobClaimIdle.name: "10", ConfigKey.jobRetryBase.name: "1", ConfigKey.captionRetry.name: "1",
            ConfigKey.allowNoServiceToken.name: "true",
        ]
        environment.merge(extra) { $1 }
        var settings = try ProcessingSettings(reader: ConfigReader(environment: environment))
        // The full run transcribes beside ffmpeg and other whisper runs on two cores: a test
        // about captions waits for them rather than finding them pending after 2 minutes.
        settings.captionWaitFloor = .seconds(600)
        return settings
    }

    func pipeline(_ reporter: RecordingReporter, settings: ProcessingSettings? = nil) throws -> TranscodePipeline {
        let settings = try settings ?? self.settings()
        return TranscodePipeline(
            media: media, events: reporter,
            captions: AudioServiceClient(http: http, baseURL: settings.audioServiceURL, token: settings.serviceToken),
            settings: settings, logger: Logger(label: "test"))
    }

    /// Media through the fixture's upload-service (with its service token, when it has one).
    var media: UploadServiceMediaAccess { UploadServiceMediaAccess(http: http, baseURL: uploadURL, token: serviceToken) }

    /// Stores `path` as an uploaded source with its `videos` document, as upload-service would.
    func addVideo(_ path: String, burnSubtitles: Bool = false) async throws -> VideoSnapshot {
        let id = VideoID.random(), owner = UserID.random()
        let file = try await store.bucket(MediaLayout.sourceBucket).upload(
            filename: "source", contentsOf: path, metadata: ["videoId": .string(id.description)])
        var document: BSONDocument = [
            "_id": .string(id.description), "owner": .string(owner.description), "status": "uploaded",
            "sourceFileId": .string(file.id.description), "createdAt": .date(Date()),
        ]
        if burnSubtitles { document["burnSubtitles"] = true }
        // As upload-service records it: the container its first bytes show (what makes
        // processing read the source over HTTP with that demuxer forced).
        let prefix = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: ContainerSniffer.wantedPrefixLength) ?? Data()
        let container = ContainerSniffer.sniff(Array(prefix))
        if let container { document["contentType"] = .string(container.mediaType) }
        try await store.collection("videos").insert(document)
        return VideoSnapshot(id: id, owner: owner, status: .uploaded, burnSubtitles: burnSubtitles, container: container?.rawValue)
    }

    /// Every stored media file of a video, by name.
    func mediaNames(_ id: VideoID) async throws -> [String] {
        try await store.bucket(MediaLayout.mediaBucket).find(["metadata.videoId": .string(id.description)]).map(\.filename).sorted()
    }

    /// Writes a video's media tree (`<videoId>/…`) below `directory`; returns its root.
    func download(_ id: VideoID, to directory: String) async throws -> String {
        let bucket = store.bucket(MediaLayout.mediaBucket)
        for file in try await bucket.find(["metadata.videoId": .string(id.description)]) {
            let path = "\(directory)/\(file.filename)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try await bucket.download(file, to: path)
        }
        return "\(directory)/\(id)"
    }

    /// Runs `body` with a new fixture, shut down afterwards whether `body` threw or not.
    static func with(_ body: (ProcessingFixture) async throws -> Void) async throws {
        let fixture = try await ProcessingFixture()
        do {
            try await body(fixture)
        } catch {
            await fixture.shutdown()
            throw error
        }
        await fixture.shutdown()
    }

    func shutdown() async {
        uploadService.terminate()
        try? await store.runCommand(["dropDatabase": 1])
        await store.shutdown()
        try? FileManager.default.removeItem(atPath: scratch)
    }
}

/// Why a fixture could not be set up.
enum FixtureError: Error { case uploadServiceNotReady }

/// Runs a program on a Dispatch thread; returns standard output, throws on failure.
@discardableResult
func run(_ executable: String, _ arguments: [String]) async throws -> String {
    String(decoding: try await runTool(executable, arguments, timeLimit: .seconds(600)), as: UTF8.self)
}

/// A temporary path for this test.
func scratchFile(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-src-\(UUID().uuidString)-\(name)").path
}

/// A source made by ffmpeg from lavfi: `video` is the lavfi graph, `speech` words spoken with espeak-ng.
func makeSource(_ name: String, video: String, seconds: Double, speech: String? = nil, voice: String = "en-us", tone: Bool = false,
                extra: [String] = [], codec: [String] = ["-c:v", "libx264", "-preset", "ultrafast"]) async throws -> String {
    let path = scratchFile(name)
    var arguments = ["-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", video]
    if let speech {
        let wav = scratchFile("speech.wav")
        try await run("/usr/bin/espeak-ng", ["-v", voice, "-s", "150", "-w", wav, speech])
        arguments += ["-i", wav, "-c:a", "aac", "-af", "apad"]
    } else if tone {
        arguments += ["-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000", "-c:a", "aac"]
    }
    arguments += ["-t", String(seconds)] + codec + extra + [path]
    try await run("/usr/bin/ffmpeg", arguments)
    return path
}

/// ffprobe's streams of a file.
func streams(_ path: String) async throws -> [[String: Any]] {
    let output = try await run("/usr/bin/ffprobe", ["-v", "error", "-of", "json", "-show_streams", path])
    return (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])?["streams"] as? [[String: Any]] ?? []
}

/// Keyframe times of the first video stream, to the millisecond.
func keyframes(_ path: String) async throws -> [Int] {
    let output = try await run("/usr/bin/ffprobe", [
        "-v", "error", "-select_streams", "v:0", "-skip_frame", "nokey", "-show_entries", "frame=pts_time", "-of", "csv=p=0", path,
    ])
    return output.split(separator: "\n").compactMap { Double($0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ","))) }
        .map { Int(($0 * 1000).rounded()) }
}
