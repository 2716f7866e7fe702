import ClipCutCore

/// The internal services (upload-service's `/internal` routes, audio-service, processing-service
/// calling them) trust each other through `CLIPCUT_SERVICE_TOKEN`. Without it those routes would
/// be open to anyone who reaches the port, so a service refuses to start without one unless
/// development use is declared with `CLIPCUT_ALLOW_NO_SERVICE_TOKEN=true`.
public enum ServiceTokenRequirement {
    /// `token` when there is one; `nil` only when development use is declared.
    /// - Throws: ``ConfigError`` naming `CLIPCUT_SERVICE_TOKEN` when neither is the case.
    public static func check(_ token: String?, allowMissing: Bool) throws -> String? {
        if let token, !token.isEmpty { return token }
        guard allowMissing else {
            throw ConfigError(
                key: ConfigKey.serviceToken.name, value: "",
                expected: "a shared secret (or \(ConfigKey.allowNoServiceToken.name)=true for development: internal routes then need no token)")
        }
        return nil
    }
}
