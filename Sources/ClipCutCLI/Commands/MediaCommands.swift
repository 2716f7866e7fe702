import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The signed links of `GET /api/videos/:id/playback`.
struct Playback: Decodable {
    struct Rendition: Decodable { var quality: String; var url: String; var size: Int64 }
    struct Captions: Decodable { var language: String; var url: String }
    var renditions: [Rendition]
    var captions: [Captions]
}

/// `clipcut download ID --quality 720p [-o FILE]`: resumes from `FILE.part` with a Range request.
struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a rendition (resumable: an interrupted download continues from FILE.part).")

    @Argument(help: "The video id.")
    var id: String

    @Option(help: "The rendition, e.g. 720p (default: the best).")
    var quality: String?

    @Option(name: .shortAndLong, help: "Where to write it (default: <id>-<quality>.mp4).")
    var output: String?

    /// Where the transfer stands, for the Ctrl-C notice.
    final class State: Sendable {
        let written = Atomic<Int64>(0)
    }

    func run() async throws {
        try await CLIError.report {
            let videoId = try Status.validID(id)
            try await APIClient.withLogin { api, _ in
                let playback = try await api.get("/api/videos/\(videoId)/playback").decode(Playback.self)
                guard let rendition = quality.map({ wanted in playback.renditions.first { $0.quality == wanted } }) ?? playback.renditions.first else {
                    let available = playback.renditions.map(\.quality).joined(separator: ", ")
                    throw CLIError("no \(quality ?? "") rendition; available: \(available.isEmpty ? "none yet" : available)", code: .notFound)
                }
                let target = URL(fileURLWithPath: output ?? "\(videoId)-\(rendition.quality).mp4")
                try await fetch(api, rendition.url, size: rendition.size, to: target)
                print(target.path)
            }
        }
    }

    private func fetch(_ api: APIClient, _ url: String, size: Int64, to target: URL) async throws {
        let partial = target.appendingPathExtension("part")
        var offset = Int64((try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? NSNumber)??.int64Value ?? 0)
        if offset > size { offset = 0 }
        if offset > 0 { Terminal.note("resuming at \(offset) of \(size) bytes") }
        if !FileManager.default.fileExists(atPath: partial.path) {
            guard FileManager.default.createFile(atPath: partial.path, contents: nil) else { throw CLIError("cannot write \(partial.path)") }
        }
        let handle = try FileHandle(forWritingTo: partial)
        defer { try? handle.close() }
        let state = State()
        state.written.store(offset, ordering: .relaxed)
        var progress = TransferProgress(verb: "downloading", total: size, startOffset: offset)
        try await Interrupts.whileRunning(notice: {
            "downloaded \(state.written.load(ordering: .relaxed)) of \(size) bytes; run the same command again to resume"
        }) {
            if offset < size {
                let response = try await api.stream(api.request(.GET, url, headers: offset > 0 ? [("Range", "bytes=\(offset)-")] : []))
                if response.status == .ok {
                    offset = 0  // the server sent the whole file: start over
                } else if response.status != .partialContent || !(response.headers.first(name: "Content-Range") ?? "").hasPrefix("bytes \(offset)-") {
                    throw CLIError("the server answered the range request with \(response.status.code)")
                }
                let start = offset
                try await NIOThreadPool.singleton.runIfActive {
                    try handle.truncate(atOffset: UInt64(start))
                    try handle.seek(toOffset: UInt64(start))
                }
                do {
                    for try await buffer in response.body {
                        try await NIOThreadPool.singleton.runIfActive { try handle.write(contentsOf: Data(buffer.readableBytesView)) }
                        offset += Int64(buffer.readableBytes)
                        state.written.store(offset, ordering: .relaxed)
                        progress.update(offset)
                    }
                } catch {
                    throw CLIError("the download broke at \(offset) bytes (\(error)); run again to resume", code: .unavailable)
                }
            }
        }
        progress.finish()
        guard offset == size else { throw CLIError("got \(offset) of \(size) bytes; run again to resume", code: .unavailable) }
        try handle.close()
        _ = try? FileManager.default.removeItem(at: target)
        try FileManager.default.moveItem(at: partial, to: target)
    }
}

/// `clipcut captions ID [--format vtt|srt] [--language en] [-o FILE]`
struct Captions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print (or save) a video's subtitles.")

    enum Format: String, ExpressibleByArgument { case vtt, srt }

    @Argument(help: "The video id.")
    var id: String

    @Option(help: "vtt or srt.")
    var format: Format = .vtt

    @Option(help: "The language (default: the first track).")
    var language: String?

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    func run() async throws {
        try await CLIError.report {
            let videoId = try Status.validID(id)
            let text = try await APIClient.withLogin { api, _ -> String in
                let playback = try await api.get("/api/videos/\(videoId)/playback").decode(Playback.self)
                guard let track = language.map({ wanted in playback.captions.first { $0.language == wanted } }) ?? playback.captions.first else {
                    throw CLIError("this video has no \(language.map { "\($0) " } ?? "")captions (yet)", code: .notFound)
                }
                return String(decoding: try await api.get(track.url).body, as: UTF8.self)
            }
            let converted = format == .vtt ? text : SubRip.convert(webVTT: text)
            if let output {
                do { try Data(converted.utf8).write(to: URL(fileURLWithPath: output)) } catch { throw CLIError("cannot write \(output)") }
            } else {
                print(converted, terminator: converted.hasSuffix("\n") ? "" : "\n")
            }
        }
    }
}

/// WebVTT to SubRip: numbered cues, `,` before the milliseconds, no header, notes or styles.
enum SubRip {
    static func convert(webVTT: String) -> String {
        let blocks = webVTT.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
        var output: [String] = []
        for block in blocks {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
            guard let timing = lines.firstIndex(where: { $0.contains("-->") }) else { continue }
            let times = lines[timing].components(separatedBy: "-->").map { $0.trimmingCharacters(in: .whitespaces) }
            guard times.count == 2 else { continue }
            let end = times[1].split(separator: " ").first.map(String.init) ?? times[1]  // drop cue settings
            output.append("\(output.count + 1)\n\(time(times[0])) --> \(time(end))\n" + lines[(timing + 1)...].joined(separator: "\n"))
        }
        return output.joined(separator: "\n\n") + (output.isEmpty ? "" : "\n")
    }

    /// `01:02.500` or `00:01:02.500` as `00:01:02,500`.
    static func time(_ text: String) -> String {
        let full = text.filter { $0 == ":" }.count == 1 ? "00:" + text : text
        return full.replacingOccurrences(of: ".", with: ",")
    }
}

/// `clipcut rm ID`
struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a video and all its media.")

    @Argument(help: "The video id.")
    var id: String

    func run() async throws {
        try await CLIError.report {
            let videoId = try Status.validID(id)
            try await APIClient.withLogin { api, _ in
                _ = try await api.send(api.request(.DELETE, "/api/videos/\(videoId)"))
            }
            Terminal.note("deleted \(videoId)")
        }
    }
}
