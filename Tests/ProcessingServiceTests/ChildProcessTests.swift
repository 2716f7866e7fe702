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
}
