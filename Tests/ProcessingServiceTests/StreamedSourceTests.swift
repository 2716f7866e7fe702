import ClipCutCore
import Foundation
import Logging
import Synchronization
import Testing
import Transcoder

@testable import ProcessingService

/// upload-service's media as the pipeline sees it, recording what it asked for.
final class RecordingMedia: MediaAccess {
    let base: any MediaAccess
    /// Replaces where the source is read from (a fault-injecting server), if set.
    let input: MediaInput?
    /// How long every stored file (a segment, a poster) takes on top of the real store.
    let storeDelay: Duration
    let downloads = Mutex(0)
    let inputs = Mutex<[MediaInput]>([])

    init(_ base: any MediaAccess, input: MediaInput? = nil, storeDelay: Duration = .zero) {
        self.base = base
        self.input = input
        self.storeDelay = storeDelay
    }

    func video(_ id: VideoID) async throws -> VideoSnapshot? { try await base.video(id) }
    func downloadSource(_ video: VideoSnapshot, to path: String) async throws {
        downloads.withLock { $0 += 1 }
        try await base.downloadSource(video, to: path)
    }
    func sourceInput(_ video: VideoSnapshot, validFor lifetime: Duration) -> MediaInput? {
        let made = input ?? base.sourceInput(video, validFor: lifetime)
        if let made { inputs.withLock { $0.append(made) } }
        return made
    }
    func store(_ path: String, as name: String, videoId: VideoID, metadata: [String: String]) async throws -> Int {
        if storeDelay > .zero { try await Task.sleep(for: storeDelay) }
        return try await base.store(path, as: name, videoId: videoId, metadata: metadata)
    }
    func store(bytes: [UInt8], as name: String, videoId: VideoID) async throws { try await base.store(bytes: bytes, as: name, videoId: videoId) }
    func downloadMedia(named name: String, to path: String) async throws -> Bool { try await base.downloadMedia(named: name, to: path) }
    func deleteMedia(of videoId: VideoID) async throws { try await base.deleteMedia(of: videoId) }
}

@Suite("The source read by ffmpeg from upload-service as it goes, not downloaded first", .serialized)
struct StreamedSourceTests {
    static func pipeline(_ fixture: ProcessingFixture, _ media: RecordingMedia, _ reporter: RecordingReporter) throws -> TranscodePipeline {
        let settings = try fixture.settings()
        return TranscodePipeline(
            media: media, events: reporter,
            captions: AudioServiceClient(http: fixture.http, baseURL: settings.audioServiceURL, token: settings.serviceToken),
            settings: settings, logger: Logger(label: "test"))
    }

    @Test("a phone's MP4 (moov at the end) is probed and encoded over HTTP with a source grant: nothing downloaded, no token on a command line")
    func encodedFromUploadService() async throws {
        let token = "stream-test-\(UUID().uuidString)"
        let fixture = try await ProcessingFixture(uploadEnvironment: [ConfigKey.serviceToken.name: token])
        let source = try await makeSource("phone.mp4", video: "testsrc2=size=640x360:rate=30", seconds: 4, speech: "Streaming from the start.")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        #expect(bytes.count > 16 && String(decoding: bytes[4..<8], as: UTF8.self) == "ftyp")
        #expect(bytes.range(of: Data("moov".utf8))?.lowerBound ?? 0 > bytes.count / 2, "the index is at the end, as a phone writes it")
        let video = try await fixture.addVideo(source)
        #expect(video.container == "mp4")
        let media = RecordingMedia(fixture.media), reporter = RecordingReporter()
        let outcome = try await Self.pipeline(fixture, media, reporter).run(video)

        #expect(outcome.renditions.map(\.quality) == ["360p"])
        _ = try await PipelineTests.checkOutputs(fixture, video.id, sizes: ["360p 640x360"], audio: true)
        #expect(reporter.types.contains(.videoPlayable) && reporter.types.last == .videoReady)
        #expect(media.downloads.withLock { $0 } == 0, "the source was downloaded before the encode")
        let inputs = media.inputs.withLock { $0 }
        #expect(inputs.count >= 3, "probe, encode and speech audio each get a grant: \(inputs)")
        for input in inputs {
            guard case .network(let url, let demuxer) = input else {
                Issue.record("not read over HTTP: \(input)")
                continue
            }
            #expect(demuxer == "mov" && url.contains("/granted-source?expires=") && url.contains("&grant="))
            #expect(!url.contains(token), "the service token is on a command line")
        }
        await fixture.shutdown()
    }

    @Test("a source whose own encoding is copied into a rung is downloaded once first (the copy reads it all at once), then read locally")
    func copiedSourceDownloadedOnce() async throws {
        let fixture = try await ProcessingFixture(uploadEnvironment: [ConfigKey.serviceToken.name: "copy-test-token-0123456789"])
        let source = try await makeSource(
            "standard.mp4", video: "testsrc2=size=640x360:rate=30", seconds: 4, tone: true,
            codec: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", "500k", "-g", "60"])
        let video = try await fixture.addVideo(source)
        let media = RecordingMedia(fixture.media), reporter = RecordingReporter()
        let outcome = try await Self.pipeline(fixture, media, reporter).run(video)
        #expect(outcome.renditions.map(\.quality) == ["360p"])
        let log = reporter.progressEvents.withLock { $0.compactMap(\.payload.logLine) }
        #expect(log.contains { $0.contains("360p (remux)") }, "not copied: \(log)")
        #expect(media.downloads.withLock { $0 } == 1)
        await fixture.shutdown()
    }

    @Test("a source whose responses break off is retried (never a short video, never 'damaged'); a source upload-service no longer has fails for good")
    func brokenTransport() async throws {
        let fixture = try await ProcessingFixture()
        let source = try await makeSource("broken.mp4", video: "testsrc2=size=640x360:rate=30", seconds: 6, tone: true,
                                          codec: ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M"])
        let size = (try FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber)?.intValue ?? 0
        #expect(size > 1 << 20)
        let server = try BreakingServer(file: source, cutAfter: 256 << 10)
        defer { server.stop() }
        let video = try await fixture.addVideo(source)

        let broken = RecordingMedia(fixture.media, input: .network(url: "\(server.url)/source", demuxer: "mov"))
        await #expect {
            try await Self.pipeline(fixture, broken, RecordingReporter()).run(video)
        } throws: { error in
            guard case JobFailure.transient(let reason) = error else { return false }
            return reason == "The uploaded file could not be read."
        }
        #expect(!(try await fixture.mediaNames(video.id)).contains(MediaLayout.renditionMP4(video.id, quality: "360p")),
                "no rendition made from part of the source")

        let gone = RecordingMedia(fixture.media, input: .network(url: "\(server.url)/gone", demuxer: "mov"))
        await #expect {
            try await Self.pipeline(fixture, gone, RecordingReporter()).run(video)
        } throws: { error in
            guard case JobFailure.permanent(let reason) = error else { return false }
            return reason == "The uploaded file is missing."
        }

        // The same source, whole, through upload-service: ready.
        let outcome = try await Self.pipeline(fixture, RecordingMedia(fixture.media), RecordingReporter()).run(video)
        #expect(outcome.renditions.map(\.quality) == ["360p"])
        await fixture.shutdown()
    }
}

/// An HTTP server (Python's, in a child process) that answers byte ranges of one file at
/// `/source` but ends every response after `cutAfter` bytes, and 404 for anything else: the
/// transport failing mid-read, as a replaced upload-service pod or a network break would.
struct BreakingServer {
    let process: Process
    let url: String

    static let script = #"""
import http.server, re, sys
data = open(sys.argv[1], "rb").read()
cut = int(sys.argv[2])
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path.split("?")[0] != "/source":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end = 0, len(data) - 1
        match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else len(data) - 1
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data[start:min(end + 1, start + cut)])
        self.close_connection = True
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

    init(file: String, cutAfter: Int) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.script, file, String(cutAfter)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice  // never the test runner's own pipe
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        url = "http://127.0.0.1:\(port)"
    }

    /// SIGKILL: under the test runner, SIGTERM left it running (and holding a pipe the runner waits on).
    func stop() { kill(process.processIdentifier, SIGKILL) }
}
