import AsyncHTTPClient
import ClipCutCore
import Foundation
import NIOCore

/// Follows `GET /api/videos/:id/events` (Server-Sent Events) and prints the transcode's
/// progress on stderr until the video is ready (returns) or failed (throws); calls `onPlayable`
/// once, when the first progress message says the video plays (`playableSeconds`). A dropped
/// connection is reopened with `Last-Event-ID`.
struct ProgressFollower {
    let api: APIClient

    struct Queue: Decodable { var position: Int; var ahead: Int }
    struct Done: Decodable { var status: String; var failureReason: String? }

    /// - Returns: whether `onPlayable` was called.
    @discardableResult
    func follow(_ videoId: String, onPlayable: () -> Void = {}) async throws -> Bool {
        var lastEventID: String?
        var playable = false
        var attempts = 0
        while true {
            var request = api.request(.GET, "/api/videos/\(videoId)/events", headers: [("Accept", "text/event-stream")])
            if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
            do {
                let response = try await api.stream(request)
                attempts = 0
                if let done = try await read(response, lastEventID: &lastEventID, playable: &playable, onPlayable: onPlayable) {
                    if Terminal.isInteractive { Terminal.note("") }
                    guard done.status == "ready" else {
                        throw CLIError("processing failed: \(done.failureReason ?? "no reason given")", code: .processingFailed)
                    }
                    Terminal.note("ready")
                    return playable
                }
            } catch let error as CLIError where error.code == .unavailable {
                attempts += 1
                if attempts > 5 { throw error }
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// Reads frames until `event: done` (returned) or the end of the stream (`nil`).
    private func read(
        _ response: HTTPClientResponse, lastEventID: inout String?, playable: inout Bool, onPlayable: () -> Void
    ) async throws -> Done? {
        var pending = ""
        var event = "message", data = ""
        do {
            for try await buffer in response.body {
                pending += String(buffer: buffer)
                while let newline = pending.firstIndex(of: "\n") {
                    let line = String(pending[..<newline]).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                    pending = String(pending[pending.index(after: newline)...])
                    if line.isEmpty {
                        if let done = handle(event: event, data: data, playable: &playable, onPlayable: onPlayable) { return done }
                        event = "message"
                        data = ""
                    } else if line.hasPrefix("event:") {
                        event = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
                    } else if line.hasPrefix("data:") {
                        data += line.dropFirst(5).trimmingCharacters(in: .whitespaces)
                    } else if line.hasPrefix("id:") {
                        lastEventID = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
                    }
                }
            }
        } catch {
            throw CLIError("the progress feed broke: \(error)", code: .unavailable)
        }
        return nil
    }

    private func handle(event: String, data: String, playable: inout Bool, onPlayable: () -> Void) -> Done? {
        let bytes = Data(data.utf8)
        switch event {
        case "progress":
            guard case .videoProgress(let event)? = try? ClipCutEvent.decode(from: data) else { return nil }
            let progress = event.payload
            if progress.playableSeconds != nil && !playable {
                playable = true
                if Terminal.isInteractive { Terminal.status("") }
                onPlayable()
            }
            if let line = progress.logLine {
                if Terminal.isInteractive { Terminal.status("") }
                Terminal.note("  \(line)")
            }
            var text = progress.stage.rawValue
            if let rungs = progress.rungs { text += " " + rungs.joined(separator: ",") } else if let rung = progress.rung { text += " " + rung }
            text += String(format: " %3.0f%%", progress.percent)
            if let fps = progress.fps { text += String(format: "  %.0f fps", fps) }
            if let speed = progress.speed { text += String(format: "  %.2fx", speed) }
            if let eta = progress.etaSeconds { text += "  ETA \(Terminal.duration(eta))" }
            if Terminal.isInteractive { Terminal.status(text) } else { Terminal.note(text) }
        case "queue":
            guard let queue = try? JSONCoding.decode(Queue.self, from: bytes) else { return nil }
            let text = "queued: position \(queue.position) (\(queue.ahead) ahead)"
            if Terminal.isInteractive { Terminal.status(text) } else { Terminal.note(text) }
        case "done":
            return (try? JSONCoding.decode(Done.self, from: bytes)) ?? Done(status: "failed", failureReason: "unreadable final status")
        default:
            break
        }
        return nil
    }
}
