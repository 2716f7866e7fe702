import Foundation
import Synchronization
import Transcoder

/// How a child process ended.
struct ChildProcessResult: Sendable {
    var status: Int32
    /// The last 4 KiB of standard error.
    var errorTail: String
    /// Whether ``ChildProcess/kill()`` ended it.
    var wasKilled: Bool
    /// Whether it ran past its time limit and was killed for it.
    var timedOut = false
}

/// A program run to its end with its standard output read line by line as it comes, on
/// Dispatch threads (never the cooperative pool). Cancelling the waiting task kills it.
final class ChildProcess: Sendable {
    private let process: Process
    private let killed = StopFlag()
    private let timedOut = StopFlag()

    init(_ executable: String, _ arguments: [String], workingDirectory: String? = nil) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.standardInput = FileHandle.nullDevice
        self.process = process
    }

    /// Starts the program and waits for it; `onLine` gets each line of standard output. A program
    /// still running after `timeLimit` is killed (``ChildProcessResult/timedOut``).
    func run(timeLimit: Duration? = nil, onLine: @escaping @Sendable (Substring) -> Void = { _ in }) async throws -> ChildProcessResult {
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let deadline = timeLimit.map { limit in
            let item = DispatchWorkItem { [self] in
                timedOut.set()
                kill()
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(limit.milliseconds, Int64(Int32.max)))), execute: item)
            return item
        }
        defer { deadline?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ChildProcessResult, Never>) in
                DispatchQueue.global().async { [process, killed, timedOut] in
                    let errorData = Mutex(Data())
                    let group = DispatchGroup()
                    group.enter()
                    DispatchQueue.global().async {
                        let data = errors.fileHandleForReading.readDataToEndOfFile()
                        errorData.withLock { $0 = data.suffix(4096) }
                        group.leave()
                    }
                    var pending = Data()
                    let reader = output.fileHandleForReading
                    while true {
                        let chunk = reader.availableData
                        if chunk.isEmpty { break }
                        pending.append(chunk)
                        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                            onLine(Substring(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)))
                            pending.removeSubrange(pending.startIndex...newline)
                        }
                    }
                    if !pending.isEmpty { onLine(Substring(String(decoding: pending, as: UTF8.self))) }
                    group.wait()
                    process.waitUntilExit()
                    continuation.resume(returning: ChildProcessResult(
                        status: process.terminationStatus,
                        errorTail: String(decoding: errorData.withLock { $0 }, as: UTF8.self),
                        wasKilled: killed.isSet, timedOut: timedOut.isSet))
                }
            }
        } onCancel: {
            // SIGKILL, not SIGTERM: a program started from a Dispatch thread inherits its blocked
            // signals (SIGTERM among them) and would run to its end; its output is abandoned anyway.
            kill()
        }
    }

    /// Stops the program at once (SIGKILL).
    func kill() {
        guard process.isRunning else { return }
        killed.set()
        Glibc.kill(process.processIdentifier, SIGKILL)
    }
}

/// Runs a program and returns its standard output; throws ``ToolFailure`` on a non-zero exit or
/// when it runs past `timeLimit` (every tool run on a user's file has one). At most
/// `outputLimit` bytes of output are kept: a tool that prints more fails.
func runTool(
    _ executable: String, _ arguments: [String], workingDirectory: String? = nil, timeLimit: Duration, outputLimit: Int = 64 << 20
) async throws -> Data {
    let collected = Mutex(Data())
    let overflowed = StopFlag()
    let process = ChildProcess(executable, arguments, workingDirectory: workingDirectory)
    let result = try await process.run(timeLimit: timeLimit) { line in
        let full = collected.withLock { data in
            guard data.count + line.utf8.count < outputLimit else { return true }
            data.append(contentsOf: Array(line.utf8) + [10])
            return false
        }
        if full, !overflowed.isSet {
            overflowed.set()
            process.kill()
        }
    }
    let tool = (executable as NSString).lastPathComponent
    if result.timedOut { throw ToolFailure(tool: tool, status: result.status, detail: "stopped after \(timeLimit)", timedOut: true) }
    if overflowed.isSet { throw ToolFailure(tool: tool, status: result.status, detail: "more than \(outputLimit) bytes of output") }
    guard result.status == 0 else { throw ToolFailure(tool: tool, status: result.status, detail: result.errorTail) }
    // A network input that broke off reads as an early end of file: the tool exits 0 with part
    // of the work done. It failed.
    if MediaInput.transportFailed(result.errorTail) { throw ToolFailure(tool: tool, status: result.status, detail: result.errorTail) }
    return collected.withLock { $0 }
}

/// A tool (ffmpeg, ffprobe) failed. `detail` goes to the logs, not to users.
struct ToolFailure: Error, CustomStringConvertible {
    var tool: String
    var status: Int32
    var detail: String
    /// It ran past its time limit.
    var timedOut = false
    var description: String { "\(tool) exited with status \(status): \(detail.suffix(500))" }
}
