import ClipCutCore
import Foundation
import ServiceSupport

/// user-service's own settings (see `docs/configuration.md`).
struct UserServiceSettings: Sendable {
    /// PostgreSQL URL.
    var postgresURL: URL
    /// Redis URL (login throttling, `user.deleted` events).
    var redisURL: String
    /// Directory for the generated development signing key.
    var dataDirectory: URL
    /// PEM files of signing keys; the first signs.
    var signingKeyFiles: [String]
    /// A signing key as PEM text, used before the files.
    var signingKeyPEM: String?
    /// Lifetime of an access token.
    var tokenLifetime: Duration
    /// bcrypt cost.
    var bcryptCost: Int
    /// Emails (normalised) that register as admins.
    var adminEmails: Set<String>
    /// Login throttling.
    var throttle: LoginThrottlePolicy
    /// Whether `X-Forwarded-For` names the client.
    var trustForwardedFor: Bool

    /// Every variable read here, for `--print-config` (a test checks the list against the reads).
    static let keys: [ConfigKey] = [
        .postgresURL, .redisURL, .dataDirectory, .jwtSigningKeyFiles, .jwtSigningKeyPEM, .tokenLifetime, .bcryptCost, .adminEmails,
        .loginLimitPerEmail, .loginLimitPerAddress, .loginWindow, .trustForwardedFor,
    ]

    /// What `user-service --print-config` prints.
    static let description = ServiceDescription(
        service: .user, keys: keys,
        redis: [
            "eventsStream": RedisNames.eventsStream, "loginEmailPrefix": RedisNames.loginEmailPrefix,
            "loginAddressPrefix": RedisNames.loginAddressPrefix,
        ])

    init(reader: ConfigReader) throws {
        postgresURL = try reader.url(.postgresURL, default: ConfigKey.postgresURL.defaultValue ?? "", schemes: ["postgres", "postgresql"])
        redisURL = reader.string(.redisURL, default: ConfigKey.redisURL.defaultValue ?? "")
        dataDirectory = URL(fileURLWithPath: reader.string(.dataDirectory, default: ConfigKey.dataDirectory.defaultValue ?? "."))
        signingKeyFiles = (reader.string(.jwtSigningKeyFiles) ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        signingKeyPEM = reader.string(.jwtSigningKeyPEM)
        tokenLifetime = try reader.seconds(.tokenLifetime, default: .seconds(3600))
        bcryptCost = try reader.int(.bcryptCost, default: 12, in: 4...16)
        adminEmails = Set(
            (reader.string(.adminEmails) ?? "").split(separator: ",").compactMap { try? EmailAddress(String($0)).value }
        )
        throttle = LoginThrottlePolicy(
            maximumPerEmail: try reader.int(.loginLimitPerEmail, default: 5, in: 1...10_000),
            maximumPerAddress: try reader.int(.loginLimitPerAddress, default: 20, in: 1...100_000),
            window: try reader.seconds(.loginWindow, default: .seconds(900))
        )
        trustForwardedFor = try reader.bool(.trustForwardedFor, default: false)
    }
}
