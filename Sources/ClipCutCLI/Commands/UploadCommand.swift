import ArgumentParser
import AsyncHTTPClient
import ClipCutCore
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// `clipcut upload FILE [--title T] [--language L] [--follow] [--json]`: a resumable tus upload.
struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a video (resumable: after Ctrl-C or a dropped connection, run the same command again).")

    @Argument(help: "The video file.")
    var file: String

    @Option(help: "The title (default: the file name).")
    var title: String?

    @Option(help: "The language spoken, as an ISO 639-1 code (en, es, …), or detect (the default).")
    var language: String = "detect"

    @Flag(help: "Follow the transcode live until the video is ready; print its watch URL as soon as it plays.")
    var follow = false

    @Flag(help: "Print the video as JSON when done.")
    var json = false

    @Option(help: ArgumentHelp("Bytes per PATCH request.", visibility: .hidden))
    var chunkSize = 8 << 20

    func run() async throws {
        try await CLIError.report {
            let url = URL(fileURLWithPath: file).standardizedFileURL
            let attributes: [FileAttributeKey: Any]
            do { attributes = try FileManager.default.attributesOfItem(atPath: url.path) } catch {
                throw CLIError("cannot read \(file): no such file")
            }
            guard let size = (attributes[.size] as? NSNumber)?.int64Value, size > 0 else { throw CLIError("\(file) is empty") }
            guard chunkSize >= 1024 else { throw CLIError("--chunk-size must be at least 1024", code: .usage) }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let handle: FileHandle
            do { handle = try FileHandle(forReadingFrom: url) } catch { throw CLIError("cannot read \(file): \(error.localizedDescription)") }
            defer { try? handle.close() }

            try await APIClient.withLogin { api, credentials in
                let key = "\(credentials.server)|\(credentials.userId)|\(url.path)|\(size)|\(Int64(modified))"
                let uploader = TusUploader(api: api, store: ConfigStore(), key: key, chunkSize: chunkSize)
                let videoId = try await uploader.upload(handle, size: size, filename: url.lastPathComponent, title: title, language: language)
                if follow {
                    // The URL goes out once, at `playable` (the page plays while the rest is encoded).
                    let watch = "\(credentials.server)/#/watch/\(videoId)"
                    let printed = try await ProgressFollower(api: api).follow(videoId) {
                        Terminal.note("playable: watch it now at \(watch)")
                        FileHandle.standardOutput.write(Data((watch + "\n").utf8))  // unbuffered: a script reads it at once
                    }
                    if !printed { print(watch) }
                } else if json {
                    try Terminal.json(try await api.get("/api/videos/\(videoId)").decode(Video.self))
                } else {
                    print(videoId)
                }
            }
        }
    }
}

/// A tus 1.0 client: creation, HEAD for the offset, PATCH in chunks, the upload URL remembered
/// (``ConfigStore/pendingUploads()``) so the same file resumes where the server has it.
struct TusUploader {
    let api: APIClient
    let store: ConfigStore
    let key: String
    let chunkSize: Int

    /// Where the transfer stands, for the Ctrl-C notice.
    final class State: Sendable {
        let offset = Atomic<Int64>(0)
    }

    func upload(_ handle: FileHandle, size: Int64, filename: String, title: String?, language: String = "detect") async throws -> String {
        var pending = store.pendingUploads()
        var offset: Int64 = 0
        var upload: PendingUpload
        if let remembered = pending[key], let current = try await serverOffset(remembered.location, size: size) {
            upload = remembered
            offset = current
            Terminal.note("resuming at \(offset) of \(size) bytes")
        } else {
            upload = try await create(size: size, filename: filename, title: title, language: language)
            pending[key] = upload
            try store.savePendingUploads(pending)
        }
        let state = State()
        state.offset.store(offset, ordering: .relaxed)
        var progress = TransferProgress(verb: "uploading", total: size, startOffset: offset)
        try await Interrupts.whileRunning(notice: {
            "uploaded \(state.offset.load(ordering: .relaxed)) of \(size) bytes; run the same command again to resume"
        }) {
            while offset < size {
                let length = Int(min(Int64(chunkSize), size - offset))
                let chunk = try await NIOThreadPool.singleton.runIfActive { [offset] in
                    try handle.seek(toOffset: UInt64(offset))
                    return try handle.read(upToCount: length) ?? Data()
                }
                guard chunk.count == length else { throw CLIError("the file changed while uploading") }
                var request = api.request(.PATCH, upload.location, headers: [
                    ("Tus-Resumable", "1.0.0"), ("Upload-Offset", String(offset)), ("Content-Type", "application/offset+octet-stream"),
                ])
                request.body = .bytes(ByteBuffer(bytes: chunk))
                let response = try await api.send(request, accepting: [409], timeout: .minutes(10))
                if response.status.code == 409 {
                    // Our offset was wrong (an earlier PATCH landed after all): ask the server.
                    guard let current = try await serverOffset(upload.location, size: size) else { throw CLIError("the upload expired; run again") }
                    offset = current
                } else {
                    guard let next = response.headers.first(name: "Upload-Offset").flatMap(Int64.init) else {
                        throw CLIError("the server did not say how much it has")
                    }
                    offset = next
                }
                state.offset.store(offset, ordering: .relaxed)
                progress.update(offset)
            }
        }
        progress.finish()
        pending = store.pendingUploads()
        pending.removeValue(forKey: key)
        try store.savePendingUploads(pending)
        return upload.videoId
    }

    /// `POST /api/uploads`: the upload's URL and its video id.
    private func create(size: Int64, filename: String, title: String?, language: String) async throws -> PendingUpload {
        var metadata = ["filename \(Data(filename.utf8).base64EncodedString())"]
        if let title { metadata.append("title \(Data(title.utf8).base64EncodedString())") }
        if language != "detect" { metadata.append("language \(Data(language.utf8).base64EncodedString())") }
        let request = api.request(.POST, "/api/uploads", headers: [
            ("Tus-Resumable", "1.0.0"), ("Upload-Length", String(size)), ("Upload-Metadata", metadata.joined(separator: ",")),
        ])
        let response = try await api.send(request)
        guard let location = response.headers.first(name: "Location"), let videoId = response.headers.first(name: "X-Video-Id") else {
            throw CLIError("the server did not create the upload")
        }
        return PendingUpload(location: location, videoId: videoId)
    }

    /// `HEAD` the upload: its offset, or `nil` when it is gone (expired, finished, another size).
    private func serverOffset(_ location: String, size: Int64) async throws -> Int64? {
        let response = try await api.send(api.request(.HEAD, location, headers: [("Tus-Resumable", "1.0.0")]), accepting: [404, 410])
        guard response.status == .ok || response.status == .noContent,
              let offset = response.headers.first(name: "Upload-Offset").flatMap(Int64.init),
              response.headers.first(name: "Upload-Length").flatMap(Int64.init) == size
        else { return nil }
        return offset
    }
}
