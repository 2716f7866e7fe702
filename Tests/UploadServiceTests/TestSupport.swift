import AuthTestSupport
import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import Jobs
import HummingbirdTesting
import JWTKit
import Logging
import NIOCore
import Prometheus
import ServiceSupport
import Testing

@testable import UploadService

/// upload-service's router over in-memory dependencies.
struct TestUploadService {
    let repository = InMemoryVideoRepository()
    let storage = InMemoryMediaStorage()
    let tusUploads = InMemoryTusUploads()
    let publisher = RecordingPublisher()
    let outbox = InMemoryOutbox()
    let remuxRequests = RecordingRemuxRequests()
    let auth: TestAuth
    let dependencies: UploadServiceDependencies

    let revisions = InMemoryMediaRevisions()
    /// Who the admin routes take for an administrator.
    let admins = KnownAdmins()
    /// The job queue's store, whose dead letters the admin routes list.
    let jobStore = MemoryJobQueue.Store()
    let captionRetries = MemoryCaptionRetrySchedule()

    /// With `mediaCache`, media is served through a ``MediaCache`` there (run by the
    /// application) and the lookups are kept under in-memory revisions, as in production.
    init(
        quotaBytes: Int64 = 1 << 30, maximumUploadBytes: Int64 = 512 << 20, tusExpiry: Duration = .seconds(3600),
        mediaCache: MediaCache.Options? = nil
    ) throws {
        auth = try TestAuth()
        let logger = Logger(label: "test")
        var dependencies = UploadServiceDependencies(
            repository: repository, storage: storage, tusUploads: tusUploads,
            publication: VideoPublication(repository: repository, publisher: publisher, outbox: outbox, logger: logger),
            playbackTokens: PlaybackTokens(secret: Array("a test secret that is long enough!!".utf8), lifetime: .seconds(600)),
            verifier: auth.verifier, quotaBytes: quotaBytes, maximumUploadBytes: maximumUploadBytes, tusExpiry: tusExpiry,
            logger: logger, captionRemux: remuxRequests)
        dependencies.adminCheck = admins
        dependencies.jobs = MemoryJobQueue(store: jobStore, consumer: "test", claimIdle: .seconds(60))
        dependencies.captionRetries = captionRetries
        if let mediaCache {
            dependencies.repository = RevisingVideoRepository(base: repository, revisions: revisions, logger: logger)
            dependencies.storage = RevisingMediaStorage(base: storage, revisions: revisions, logger: logger)
            dependencies.mediaRevisions = revisions
            dependencies.mediaCache = MediaCache(options: mediaCache, storage: storage, logger: logger)
        }
        self.dependencies = dependencies
    }

    func application() -> some ApplicationProtocol {
        Application(
            router: buildRouter(dependencies: dependencies, metricsRegistry: PrometheusCollectorRegistry()),
            services: dependencies.mediaCache.map { [$0] } ?? [])
    }
}

/// Bytes that sniff as MP4 (`ftyp` box) followed by `count - 32` deterministic bytes.
func fakeMP4(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0, 32] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2avc1mp41".utf8)
    bytes.reserveCapacity(count)
    var state = UInt32(seed) &+ 12345
    while bytes.count < count {
        state = state &* 1_103_515_245 &+ 12345
        bytes.append(UInt8(truncatingIfNeeded: state >> 16))
    }
    return Array(bytes.prefix(count))
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    var hasher = StreamingSHA256()
    hasher.update(ByteBuffer(bytes: bytes))
    return hasher.finalize()
}

func decodeJSON(_ response: TestResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]) ?? [:]
}

func errorCode(_ response: TestResponse) -> String? {
    (decodeJSON(response)["error"] as? [String: Any])?["code"] as? String
}

func bearer(_ token: String, _ extra: HTTPFields = [:]) -> HTTPFields {
    var fields = extra
    fields[.authorization] = "Bearer \(token)"
    return fields
}

extension HTTPField.Name {
    static let testTitle = HTTPField.Name("X-Title")!
    static let testTus = HTTPField.Name("Tus-Resumable")!
    static let testUploadLength = HTTPField.Name("Upload-Length")!
    static let testUploadOffset = HTTPField.Name("Upload-Offset")!
    static let testUploadMetadata = HTTPField.Name("Upload-Metadata")!
}

extension TestClientProtocol {
    /// `POST /api/videos` with the bytes as the body.
    func uploadRaw(_ bytes: [UInt8], token: String, title: String? = "My video", contentType: String = "video/mp4") async throws -> TestResponse {
        var headers = bearer(token, [.contentType: contentType])
        if let title { headers[.testTitle] = title.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? title }
        return try await execute(uri: "/api/videos", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    /// Uploads and returns the new video's id.
    func uploadVideo(_ bytes: [UInt8], token: String, title: String = "My video") async throws -> VideoID {
        let response = try await uploadRaw(bytes, token: token, title: title)
        #expect(response.status == .created)
        return try #require((decodeJSON(response)["id"] as? String).flatMap(VideoID.init))
    }
}
