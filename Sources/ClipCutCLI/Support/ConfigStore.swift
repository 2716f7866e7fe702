import ClipCutCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `clipcut login` keeps: the server and the access token.
struct Credentials: Codable, Equatable {
    var server: String
    var token: String
    var email: String
    var userId: String
    var expiresAt: Date?
}

/// A resumable upload in progress, remembered so the same command picks it up again.
struct PendingUpload: Codable, Equatable {
    var location: String
    var videoId: String
}

/// The user's `clipcut` directory: `$CLIPCUT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/clipcut`,
/// else `~/.config/clipcut` (mode 0700). Every file in it is written mode 0600, whole or not
/// at all (a temporary file renamed into place).
struct ConfigStore {
    let directory: URL

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let explicit = environment["CLIPCUT_CONFIG_DIR"], !explicit.isEmpty {
            directory = URL(fileURLWithPath: explicit)
        } else if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            directory = URL(fileURLWithPath: xdg).appendingPathComponent("clipcut")
        } else {
            directory = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/clipcut")
        }
    }

    var credentialsFile: URL { directory.appendingPathComponent("credentials.json") }
    var uploadsFile: URL { directory.appendingPathComponent("uploads.json") }

    func loadCredentials() throws -> Credentials {
        guard let data = try? Data(contentsOf: credentialsFile) else {
            throw CLIError("not logged in: run `clipcut login --server URL`", code: .notAuthenticated)
        }
        guard let credentials = try? Self.decoder.decode(Credentials.self, from: data) else {
            throw CLIError("\(credentialsFile.path) is damaged: run `clipcut login` again", code: .notAuthenticated)
        }
        return credentials
    }

    func save(_ credentials: Credentials) throws {
        try write(try Self.encoder.encode(credentials), to: credentialsFile)
    }

    func deleteCredentials() throws -> Bool {
        guard FileManager.default.fileExists(atPath: credentialsFile.path) else { return false }
        try FileManager.default.removeItem(at: credentialsFile)
        return true
    }

    func pendingUploads() -> [String: PendingUpload] {
        guard let data = try? Data(contentsOf: uploadsFile) else { return [:] }
        return (try? Self.decoder.decode([String: PendingUpload].self, from: data)) ?? [:]
    }

    func savePendingUploads(_ uploads: [String: PendingUpload]) throws {
        try write(try Self.encoder.encode(uploads), to: uploadsFile)
    }

    /// Writes `data` with mode 0600 into a directory of mode 0700.
    private func write(_ data: Data, to file: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw CLIError("cannot write \(temporary.path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: data)
        try handle.close()
        guard rename(temporary.path, file.path) == 0 else { throw CLIError("cannot write \(file.path): \(String(cString: strerror(errno)))") }
    }

    /// The project's JSON settings (``JSONCoding``), indented for a file people may read.
    static var encoder: JSONEncoder {
        let encoder = JSONCoding.makeEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return encoder
    }

    static var decoder: JSONDecoder { JSONCoding.makeDecoder() }
}
