import Foundation
import Synchronization

/// Why a file could not be turned into samples.
public enum AudioDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file has no audio stream (e.g. a video without sound).
    case noAudioStream
    /// ffprobe/ffmpeg could not read the file (not media, or truncated beyond use).
    case undecodable(String)
    /// The audio is longer than allowed.
    case tooLong(seconds: Double, limit: Double)

    public var description: String {
        switch self {
        case .noAudioStream: "the file has no audio track"
        case .undecodable(let reason): "the file could not be decoded: \(reason)"
        case .tooLong(let seconds, let limit): String(format: "the audio is %.0f s long; the limit is %.0f s", seconds, limit)
        }
    }
}

/// Decodes any audio or video ffmpeg can read into 16 kHz mono float samples (what Whisper
/// takes). Inputs may only read the given file (`-protocol_whitelist file`: a playlist in an
/// upload cannot reach other files or the network). ffprobe first checks that there is an audio stream and that it is not too long, so a
/// three-hour file is refused before anything is decoded.
public struct AudioDecoder: Sendable {
    public var ffmpegPath: String
    public var ffprobePath: String
    /// Longest audio accepted, in seconds.
    public var maximumDuration: Double

    public init(ffmpegPath: String = "/usr/bin/ffmpeg", ffprobePath: String = "/usr/bin/ffprobe", maximumDuration: Double = 3600) {
        self.ffmpegPath = ffmpegPath
        self.ffprobePath = ffprobePath
        self.maximumDuration = maximumDuration
    }

    /// The samples of the file's first audio stream.
    public func decode(fileAt path: String) async throws -> [Float] {
        let probe = try await runProcess(ffprobePath, [
            "-v", "error", "-protocol_whitelist", "file", "-select_streams", "a:0", "-show_entries", "stream=codec_type:format=duration",
            "-of", "default=noprint_wrappers=1", path,
        ])
        guard probe.status == 0 else { throw AudioDecodingError.undecodable(Self.lastLine(probe.standardError)) }
        let fields = String(decoding: probe.standardOutput, as: UTF8.self)
        guard fields.contains("codec_type=audio") else { throw AudioDecodingError.noAudioStream }
        if let duration = fields.split(separator: "\n").first(where: { $0.hasPrefix("duration=") })
            .flatMap({ Double($0.dropFirst("duration=".count)) }), duration.isFinite, duration > maximumDuration {
            throw AudioDecodingError.tooLong(seconds: duration, limit: maximumDuration)
        }
        let decoded = try await runProcess(ffmpegPath, [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file", "-i", path, "-map", "0:a:0",
            "-t", String(format: "%.0f", maximumDuration + 1), "-ac", "1", "-ar", "16000", "-f", "f32le", "pipe:1",
        ])
        guard decoded.status == 0 else { throw AudioDecodingError.undecodable(Self.lastLine(decoded.standardError)) }
        let samples = decoded.standardOutput.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let seconds = Double(samples.count) / 16_000
        guard seconds <= maximumDuration else { throw AudioDecodingError.tooLong(seconds: seconds, limit: maximumDuration) }
        return samples
    }

    private static func lastLine(_ data: Data) -> String {
        String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "unknown error"
    }
}

/// What a finished subprocess left.
public struct ProcessOutput: Sendable {
    /// The exit status.
    public var status: Int32
    /// Everything the program wrote to standard output.
    public var standardOutput: Data
    /// Everything the program wrote to standard error.
    public var standardError: Data
}

/// Runs a program to the end, draining both pipes on Dispatch threads (never the cooperative
/// pool) so a full pipe cannot stall it; the calling task waits without blocking a thread.
/// Cancelling the task kills the program (SIGKILL: its output is abandoned, and a child started
/// from a Dispatch thread may have SIGTERM blocked) and throws `CancellationError`.
public func runProcess(_ executable: String, _ arguments: [String]) async throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let result = await withTaskCancellationHandler {
        await drain(process, output: output, errors: errors)
    } onCancel: {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    try Task.checkCancellation()
    return result
}

/// Reads both pipes to their ends, then waits for the program to exit.
private func drain(_ process: Process, output: Pipe, errors: Pipe) async -> ProcessOutput {
    await withCheckedContinuation { (continuation: CheckedContinuation<ProcessOutput, Never>) in
        DispatchQueue.global().async {
            let standardError = Mutex(Data())
            let group = DispatchGroup()
            group.enter()
            DispatchQueue.global().async {
                let data = errors.fileHandleForReading.readDataToEndOfFile()
                standardError.withLock { $0 = data }
                group.leave()
            }
            let standardOutput = output.fileHandleForReading.readDataToEndOfFile()
            group.wait()
            process.waitUntilExit()
            continuation.resume(returning: ProcessOutput(
                status: process.terminationStatus, standardOutput: standardOutput, standardError: standardError.withLock { $0 }
            ))
        }
    }
}
