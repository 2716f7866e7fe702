import Foundation
import Testing

@testable import ProcessingService

@Suite("Tools run on a user's file have a time limit and an output limit")
struct ChildProcessTests {
    @Test("a tool past its time limit is killed and reported as timed out; one within it is not")
    func timeLimit() async throws {
        await #expect {
            try await runTool("/bin/sleep", ["30"], timeLimit: .milliseconds(300))
        } throws: { error in
            (error as? ToolFailure)?.timedOut == true
        }
        let output = try await runTool("/bin/echo", ["fine"], timeLimit: .seconds(30))
        #expect(String(decoding: output, as: UTF8.self) == "fine\n")
    }

    @Test("a tool that prints more than the output limit is stopped instead of filling memory")
    func outputLimit() async throws {
        await #expect {
            try await runTool("/usr/bin/yes", [], timeLimit: .seconds(30), outputLimit: 1 << 20)
        } throws: { error in
            (error as? ToolFailure)?.detail.contains("bytes of output") == true
        }
    }

    /// A program started from a Dispatch thread inherits the thread's blocked signals, SIGTERM
    /// among them: a cancelled ffmpeg sent SIGTERM ran to its end. The shell here ignores SIGTERM
    /// itself, so the test does not depend on the mask of the thread that starts it.
    @Test("a cancelled tool is killed, even one that would not end on SIGTERM", .timeLimit(.minutes(1)))
    func cancelledToolIgnoringTerminate() async throws {
        let started = AsyncStream.makeStream(of: Void.self)
        let process = ChildProcess("/bin/sh", ["-c", "trap '' TERM; echo ready; exec sleep 600"])
        // The time limit only keeps a regression from hanging the run: it must not be what kills it.
        let run = Task { try await process.run(timeLimit: .seconds(45)) { _ in started.continuation.yield() } }
        for await _ in started.stream { break }
        run.cancel()
        let result = try await run.value
        #expect(result.wasKilled && !result.timedOut)
    }
}
