import ArgumentParser
import ClipCutCore
import Foundation

/// `clipcut clip VIDEO --from 1:02 --to 1:24 [--title …] [--follow] [--json]`: a range of one
/// of your ready videos becomes a new video (`POST /api/videos/{id}/clips`).
struct Clip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cut a clip out of one of your ready videos: a new video of the range, with its captions.")

    @Argument(help: "The video id.")
    var id: String

    @Option(help: "Where the clip starts: seconds (62.5), m:ss (1:02.5) or h:mm:ss.")
    var from: String

    @Option(help: "Where the clip ends (exclusive), as --from.")
    var to: String

    @Option(help: "The clip's title (default: the video's title with \" (clip)\").")
    var title: String?

    @Flag(help: "Follow the clip's processing until it is ready; print its watch URL.")
    var follow = false

    @Flag(help: "Print the new video as JSON instead of its id.")
    var json = false

    /// Seconds from `62.5`, `1:02.5` or `1:01:02`; `nil` when it is none of those.
    static func seconds(_ text: String) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var total = 0.0
        for (index, part) in parts.enumerated() {
            guard let value = Double(part), value.isFinite, value >= 0 else { return nil }
            if index > 0 && value >= 60 { return nil }  // 1:75 is not a time
            if index < parts.count - 1 && value != value.rounded() { return nil }
            total = total * 60 + value
        }
        return total
    }

    struct ClipRequest: Encodable {
        var from: Double
        var to: Double
        var title: String?
    }

    func run() async throws {
        try await CLIError.report {
            let videoId = try Status.validID(id)
            guard let start = Self.seconds(from) else {
                throw CLIError("--from \(from) is not a time (62.5, 1:02.5 or 1:01:02)", code: .usage)
            }
            guard let end = Self.seconds(to) else { throw CLIError("--to \(to) is not a time (62.5, 1:02.5 or 1:01:02)", code: .usage) }
            try await APIClient.withLogin { api, credentials in
                let clip = try await api.postJSON("/api/videos/\(videoId)/clips", ClipRequest(from: start, to: end, title: title)).decode(Video.self)
                if follow {
                    let watch = "\(credentials.server)/#/watch/\(clip.id)"
                    _ = try await ProgressFollower(api: api).follow(clip.id.description)
                    print(watch)
                } else if json {
                    try Terminal.json(clip)
                } else {
                    print(clip.id)
                }
            }
        }
    }
}
