import ArgumentParser
import ClipCutCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An account as user-service returns it.
struct Account: Codable {
    var id: String
    var email: String
    var displayName: String
    var role: String
}

/// `clipcut login --server URL [--email E] [--password-stdin]`
struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log in and keep the token in the config directory (mode 0600).")

    @Option(help: "The ClipCut server (the URL `scripts/up` printed), e.g. http://127.0.0.1:8080.")
    var server: String

    @Option(help: "Your email (asked for when omitted).")
    var email: String?

    @Flag(help: "Read the password from the first line of standard input (for scripts).")
    var passwordStdin = false

    struct Session: Decodable {
        var token: String
        var expiresAt: Date?
        var user: Account
    }

    func run() async throws {
        try await CLIError.report {
            guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw CLIError("--server must be an http(s) URL such as http://127.0.0.1:8080", code: .usage)
            }
            let email = try self.email ?? Self.prompt("Email: ")
            let password: String
            if passwordStdin {
                guard let line = readLine(strippingNewline: true) else { throw CLIError("no password on standard input") }
                password = line
            } else {
                guard isatty(STDIN_FILENO) == 1, let typed = getpass("Password: ") else {
                    throw CLIError("no terminal to ask for the password: use --password-stdin")
                }
                password = String(cString: typed)
            }
            struct LoginRequest: Encodable { var email: String; var password: String }
            let session = try await APIClient.with(server: server, token: nil) { api in
                try await api.postJSON("/api/sessions", LoginRequest(email: email, password: password)).decode(Session.self)
            }
            let store = ConfigStore()
            try store.save(Credentials(
                server: server, token: session.token, email: session.user.email, userId: session.user.id, expiresAt: session.expiresAt))
            Terminal.note("logged in to \(server) as \(session.user.email)")
        }
    }

    static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw CLIError("nothing entered") }
        return line
    }
}

/// `clipcut logout`
struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Forget the stored token.")

    func run() async throws {
        try await CLIError.report {
            Terminal.note(try ConfigStore().deleteCredentials() ? "logged out" : "was not logged in")
        }
    }
}

/// `clipcut whoami [--json]`
struct WhoAmI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the account you are logged in as.")

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        try await CLIError.report {
            let (account, usage, server) = try await APIClient.withLogin { api, credentials in
                (try await api.get("/api/users/me").decode(Account.self), try await api.get("/api/videos/usage").decode(StorageUsage.self),
                 credentials.server)
            }
            if json {
                struct Output: Encodable { var server: String; var account: Account; var usage: StorageUsage }
                try Terminal.json(Output(server: server, account: account, usage: usage))
            } else {
                print("\(account.email) (\(account.displayName), \(account.role)) on \(server)")
                print(usage.summary)
            }
        }
    }
}

extension StorageUsage {
    /// `storage: 1.2 MB of 10.0 GB used (0 %), 10.0 GB left; uploads up to 4.0 GB`
    var summary: String {
        let percent = quotaBytes > 0 ? Int((Double(storedBytes + reservedBytes) / Double(quotaBytes) * 100).rounded()) : 0
        let reserved = reservedBytes > 0 ? " (\(Terminal.bytes(reservedBytes)) of it in unfinished uploads)" : ""
        return "storage: \(Terminal.bytes(storedBytes + reservedBytes)) of \(Terminal.bytes(quotaBytes)) used (\(percent) %)\(reserved), "
            + "\(Terminal.bytes(availableBytes)) left; uploads up to \(Terminal.bytes(maximumUploadBytes))"
    }
}
