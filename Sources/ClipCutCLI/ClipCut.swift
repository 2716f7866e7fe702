import ArgumentParser

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
}
