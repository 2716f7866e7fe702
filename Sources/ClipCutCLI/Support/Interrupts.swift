import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C during a transfer: say where it stopped and how to resume, then exit 130.
enum Interrupts {
    static func whileRunning<T>(notice: @escaping @Sendable () -> String, _ body: () async throws -> T) async throws -> T {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            FileHandle.standardError.write(Data("\nclipcut: interrupted: \(notice())\n".utf8))
            exit(CLIError.Code.interrupted.rawValue)
        }
        source.resume()
        defer {
            source.cancel()
            signal(SIGINT, SIG_DFL)
        }
        return try await body()
    }
}
