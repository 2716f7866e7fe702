import ClipCutCore
import Foundation

/// What a service reads and uses, as `<service> --print-config` prints it (JSON): its
/// `CLIPCUT_*` variables with their defaults, the Redis names it works with and the programs it
/// runs. `scripts/k8s-check` reads this instead of parsing Swift source; each service's tests
/// check its list against what its settings really read (``ConfigRecorder``).
public struct ServiceDescription: Encodable, Sendable, Equatable {
    /// One variable.
    public struct Variable: Encodable, Sendable, Equatable {
        public var name: String
        /// `nil` when unset means "off" or the value must be given.
        public var defaultValue: String?
        public var summary: String
    }

    /// The executable's name, e.g. `processing-service`.
    public var service: String
    /// The shared variables (``ServiceConfiguration/keys``) first, then the service's own.
    public var variables: [Variable]
    /// Redis streams, groups, keys and channels by their `RedisNames` member name.
    public var redis: [String: String]
    /// Programs run by absolute path.
    public var programs: [String]

    /// The description of `service` reading `keys` besides the shared ones.
    public init(service: ServiceName, keys: [ConfigKey], redis: [String: String] = [:], programs: [String] = []) {
        var seen = Set<String>()
        self.service = service.executableName
        self.variables = (ServiceConfiguration.keys + keys).filter { seen.insert($0.name).inserted }.map { key in
            Variable(
                name: key.name, defaultValue: key == .httpPort ? String(service.defaultPort) : key.defaultValue, summary: key.summary)
        }
        self.redis = redis
        self.programs = programs
    }

    /// The variables' names.
    public var variableNames: Set<String> { Set(variables.map(\.name)) }

    /// The variables `readSettings` and the shared ``ServiceConfiguration`` really read, through a
    /// recording reader over an environment with nothing set but development mode (no service
    /// token) and a fresh data directory. Tests compare it with ``variableNames``.
    public func variablesRead(_ readSettings: (ConfigReader) throws -> Void) throws -> Set<String> {
        let recorder = ConfigRecorder()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("clipcut-config-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let reader = ConfigReader(
            environment: [ConfigKey.allowNoServiceToken.name: "true", ConfigKey.dataDirectory.name: data], recorder: recorder)
        guard let service = ServiceName.allCases.first(where: { $0.executableName == self.service }) else { return [] }
        _ = try ServiceConfiguration(service: service, reader: reader)
        try readSettings(reader)
        return recorder.keys
    }

    /// Prints the description as JSON and exits when the arguments ask for it (`--print-config`).
    public func printIfAsked(arguments: [String] = CommandLine.arguments) {
        guard arguments.dropFirst().contains("--print-config") else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { exit(1) }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
        exit(0)
    }
}
