import Foundation
import Testing

@testable import Whisper

@Suite("Running ffmpeg and ffprobe for a decode")
struct RunProcessTests {
    @Test("a cancelled run kills its program, even one that ignores SIGTERM, and throws CancellationError")
    func cancelledRunKillsTheProgram() async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("run-process-\(UUID().uuidString).pid").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        // Without the kill, the run would end only when the sleep does, and return normally.
        let run = Task { try await runProcess("/bin/sh", ["-c", "echo $$ > \(pidFile); trap '' TERM; exec sleep 30"]) }
        var pid: Int32?
        for _ in 0..<200 where pid == nil {
            try await Task.sleep(for: .milliseconds(50))
            pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        let started = try #require(pid, "the program never started")
        run.cancel()
        await #expect(throws: CancellationError.self) { _ = try await run.value }
        #expect(kill(started, 0) == -1 && errno == ESRCH, "the program still runs")
    }

    @Test("a run to the end gives its status and both outputs")
    func runToTheEnd() async throws {
        let result = try await runProcess("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(result.status == 3)
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "out\n")
        #expect(String(decoding: result.standardError, as: UTF8.self) == "err\n")
    }
}
