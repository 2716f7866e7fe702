import ArgumentParser
import ClipCutCore
import Foundation

/// `clipcut status ID [--json]`: exits 7 when the video's processing failed.
struct Status: AsyncParsableCommand {
    /// The caption state in words: `none` is "no speech track"; a failure carries its reason.
    static func captions(_ video: Video) -> String {
        guard let state = video.captionState else { return "-" }
        if state == .noAudioTrack { return "none (no speech track)" }
        return state.rawValue + (video.captionFailureReason.map { ": \($0)" } ?? "")
    }

    static let configuration = CommandConfiguration(abstract: "Show one video: status, renditions, captions.")

    @Argument(help: "The video id.")
    var id: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        try await CLIError.report {
            let video = try await APIClient.withLogin { api, _ in
                try await api.get("/api/videos/\(try Self.validID(id))").decode(Video.self)
            }
            if json {
                try Terminal.json(video)
            } else {
                let rows: [(String, String)] = [
                    ("id", video.id.description), ("title", video.title), ("status", video.status.rawValue),
                    ("duration", video.durationSeconds.map { Terminal.duration($0) } ?? "-"),
                    ("size", Terminal.bytes(video.size)), ("sha256", video.sha256),
                    ("renditions", video.renditions.map(\.quality).joined(separator: ", ")),
                    ("captions", Self.captions(video)), ("created", ISO8601DateFormatter().string(from: video.createdAt)),
                ] + (video.failureReason.map { [("failure", $0)] } ?? [])
                for (name, value) in rows { print(name.padding(toLength: 11, withPad: " ", startingAt: 0) + value) }
            }
            if video.status == .failed { throw ExitCode(CLIError.Code.processingFailed.rawValue) }
        }
    }

    /// A video id is a UUID; anything else would only make a confusing URL.
    static func validID(_ text: String) throws -> String {
        guard UUID(uuidString: text) != nil else { throw CLIError("\(text) is not a video id", code: .notFound) }
        return text.lowercased()
    }
}

/// `clipcut history [--status S] [--limit N] [--json]`
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List your uploads, newest first.")

    @Option(help: "Only uploads with this status: uploaded, transcribing, transcoding, playable, ready, failed.")
    var status: String?

    @Option(help: "How many at most (all pages are read up to this many).")
    var limit = 100

    @Flag(help: "Print JSON.")
    var json = false

    struct Upload: Codable {
        var videoId: String
        var title: String
        var status: String
        var size: Int64
        var durationSeconds: Double?
        var renditions: [String]
        var failureReason: String?
        var createdAt: Date
    }

    struct Page: Decodable { var uploads: [Upload]; var total: Int; var nextCursor: String? }

    func run() async throws {
        try await CLIError.report {
            guard limit > 0 else { throw CLIError("--limit must be positive", code: .usage) }
            let uploads = try await APIClient.withLogin { api, _ -> [Upload] in
                var uploads: [Upload] = []
                var cursor: String?
                repeat {
                    let query = APIClient.query([("limit", String(min(100, limit - uploads.count))), ("status", status), ("cursor", cursor)])
                    let page = try await api.get("/api/history?\(query)").decode(Page.self)
                    uploads += page.uploads
                    cursor = page.uploads.isEmpty ? nil : page.nextCursor
                } while cursor != nil && uploads.count < limit
                return uploads
            }
            if json { return try Terminal.json(uploads) }
            let formatter = ISO8601DateFormatter()
            Terminal.table(["ID", "STATUS", "DURATION", "SIZE", "CREATED", "TITLE"], uploads.map { upload in
                [upload.videoId, upload.status, upload.durationSeconds.map { Terminal.duration($0) } ?? "-", Terminal.bytes(upload.size),
                 formatter.string(from: upload.createdAt), upload.title + (upload.failureReason.map { " (failed: \($0))" } ?? "")]
            })
        }
    }
}

/// `clipcut search WORDS... [--json]`
struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Find the moments your videos say these words.")

    @Argument(help: "Words, as in a search box (\"a phrase\", or, -word).")
    var words: [String]

    @Flag(help: "Print JSON.")
    var json = false

    struct Cue: Codable { var start: Double; var end: Double; var text: String }
    struct Match: Codable { var videoId: String; var title: String; var cues: [Cue] }
    struct Results: Codable { var query: String; var results: [Match] }

    func run() async throws {
        try await CLIError.report {
            let text = words.joined(separator: " ")
            let results = try await APIClient.withLogin { api, _ in
                try await api.get("/api/search?\(APIClient.query([("q", text)]))").decode(Results.self)
            }
            if json { return try Terminal.json(results) }
            Terminal.table(["ID", "AT", "TITLE", "SAID"], results.results.flatMap { match in
                match.cues.map { [match.videoId, Terminal.duration($0.start), match.title, $0.text] }
            })
        }
    }
}
