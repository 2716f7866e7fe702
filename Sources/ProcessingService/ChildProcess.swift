import Foundation
import Synchronization

/// How a child process ended.
struct ChildProcessResult: Sendable {
    var status: Int32
    /// The last 4 KiB of standard error.
    var errorTail: String
    /// Whether ``ChildProcess/kill()`` ended it.
    var wasKilled: Bool
}

/// A program run to its end with its standard output read line by line as it comes, on
/// Dispatch threads (never the cooperative pool). Cancelling the waiting task terminates it.
final class ChildProcess: Sendable {
    private let process: Process
    private let killed = StopFlag()

    init(_ executable: String, _ arguments: [String], workingDirectory: String? = nil) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.standardInput = FileHandle.nullDevice
        self.process = process
    }

    /// Starts the program and waits for it; `onLine` gets each line of standard output.
    func run(onLine: @escaping @Sendable (Substring) -> Void = { _ in }) async throws -> ChildProcessResult {
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ChildProcessResult, Never>) in
                DispatchQueue.global().async { [process, killed] in
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
                        wasKilled: killed.isSet))
                }
            }
        } onCancel: {
            terminate()
        }
    }

    /// Asks the program to stop (SIGTERM).
    func terminate() {
        if process.isRunning { process.terminate() }
    }

    /// Stops the program at once (SIGKILL).
    func kill() {
        killed.set()
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}

/// Runs a program and returns its standard output; throws ``ToolFailure`` on a non-zero exit.
func runTool(_ executable: String, _ arguments: [String], workingDirectory: String? = nil) async throws -> Data {
    let collected = Mutex(Data())
    let result = try await ChildProcess(executable, arguments, workingDirectory: workingDirectory).run { line in
        collected.withLock { $0.append(contentsOf: Array(line.utf8) + [10]) }
    }
    guard result.status == 0 else { throw ToolFailure(tool: (executable as NSString).lastPathComponent, status: result.status, detail: result.errorTail) }
    return collected.withLock { $0 }
}

/// A tool (ffmpeg, ffprobe) failed. `detail` goes to the logs, not to users.
struct ToolFailure: Error, CustomStringConvertible {
    var tool: String
    var status: Int32
    var detail: String
    var description: String { "\(tool) exited with status \(status): \(detail.suffix(500))" }
}
