import ArgumentParser
import Foundation

/// A failure the user is told about on stderr, with an exit code scripts can rely on.
struct CLIError: Error, CustomStringConvertible {
    /// Exit codes of `clipcut` (documented in docs/cli.md).
    enum Code: Int32 {
        /// Anything else: bad local input (a missing file), an unexpected answer.
        case failure = 1
        /// Bad command-line usage: a missing or unknown argument, a value that is not one.
        case usage = 2
        /// Not logged in, or the session expired (the API answered 401).
        case notAuthenticated = 3
        /// No such video, or not yours (404).
        case notFound = 4
        /// The server refused the request (another 4xx: quota, unsupported file, bad value).
        case rejected = 5
        /// The server could not be reached or failed (5xx, connection refused, timeout).
        case unavailable = 6
        /// The video's processing failed (`upload --follow`, `status`).
        case processingFailed = 7
        /// Interrupted (Ctrl-C); an upload or a download resumes when run again.
        case interrupted = 130
    }

    var message: String
    var code: Code

    init(_ message: String, code: Code = .failure) {
        self.message = message
        self.code = code
    }

    var description: String { message }

    /// Runs a command body, turning every error into a message on stderr and an exit code.
    static func report(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CLIError {
            Terminal.error(error.message)
            throw ExitCode(error.code.rawValue)
        } catch let error as ExitCode {
            throw error
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(Code.failure.rawValue)
        }
    }
}
