import ArgumentParser
import Foundation

/// The `clipcut` command-line client: talks to a ClipCut server's REST API like the web page.
/// Results go to stdout (`--json` on every listing), messages and progress to stderr, and the
/// exit code says what happened (``CLIError/Code``; docs/cli.md).
@main
struct ClipCut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clipcut",
        abstract: "Command-line client for a ClipCut server.",
        subcommands: [
            Login.self, Logout.self, WhoAmI.self, Upload.self, Status.self, History.self, Search.self, Download.self, Captions.self,
            Remove.self, Clip.self, Services.self,
        ]
    )

    /// Parses and runs the command. Bad usage (a missing or unknown argument or option) exits
    /// 2, as docs/cli.md says, rather than ArgumentParser's 64; help and every other error as
    /// ArgumentParser has them.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error).rawValue == ExitCode.validationFailure.rawValue else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(CLIError.Code.usage.rawValue)
        }
    }
}
