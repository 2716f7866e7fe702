/// A `CLIPCUT_*` environment variable: its name, what it means and its default.
///
/// Services read them through ServiceSupport's `ConfigReader`. Add a key for a new setting as a
/// `static let` in an extension of `ConfigKey` and list it in ``documented`` so the docs and
/// `--help` texts stay complete. Keys compare by name only.
public struct ConfigKey: Hashable, Sendable, CustomStringConvertible {
    /// The environment variable's name, e.g. `CLIPCUT_HTTP_PORT`.
    public let name: String
    /// One sentence saying what it sets.
    public let summary: String
    /// The value used when the variable is unset or empty, as text; `nil` when there is none
    /// (the setting is optional, or the default depends on the service).
    public let defaultValue: String?

    /// Declares a key.
    public init(_ name: String, summary: String, defaultValue: String? = nil) {
        self.name = name
        self.summary = summary
        self.defaultValue = defaultValue
    }

    /// The variable's name.
    public var description: String { name }

    /// Keys compare by name.
    public static func == (lhs: ConfigKey, rhs: ConfigKey) -> Bool { lhs.name == rhs.name }

    /// Hashes the name.
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension ConfigKey {
    /// Address the HTTP server binds to (`0.0.0.0` in containers).
    public static let httpHost = ConfigKey(
        "CLIPCUT_HTTP_HOST", summary: "Address the HTTP server binds to.", defaultValue: "127.0.0.1")
    /// TCP port of the HTTP server; each service has its own default (``ServiceName/defaultPort``).
    public static let httpPort = ConfigKey(
        "CLIPCUT_HTTP_PORT",
        summary: "TCP port of the HTTP server (defaults: user 8081, upload 8082, audio 8083, processing 8084, monitoring 8085).")
    /// Lowest level logged: trace, debug, info, notice, warning, error, critical.
    public static let logLevel = ConfigKey(
        "CLIPCUT_LOG_LEVEL", summary: "Lowest log level written: trace, debug, info, notice, warning, error or critical.",
        defaultValue: "info")
    /// `json` (one JSON object per line, for production) or `text`.
    public static let logFormat = ConfigKey(
        "CLIPCUT_LOG_FORMAT", summary: "Log line format: json (one object per line) or text.", defaultValue: "text")
    /// Redis, as `redis://host:port/db`.
    public static let redisURL = ConfigKey(
        "CLIPCUT_REDIS_URL", summary: "Redis server, as redis://host:port/db.", defaultValue: "redis://127.0.0.1:6379/0")
    /// MongoDB (or SecantusDB), as `mongodb://host:port/db`.
    public static let mongoURL = ConfigKey(
        "CLIPCUT_MONGO_URL", summary: "MongoDB server and database, as mongodb://host:port/db.",
        defaultValue: "mongodb://127.0.0.1:27017/clipcut")
    /// PostgreSQL, as `postgres://user:password@host:port/db`.
    public static let postgresURL = ConfigKey(
        "CLIPCUT_POSTGRES_URL", summary: "PostgreSQL server and database, as postgres://user:password@host:port/db.",
        defaultValue: "postgres://postgres@127.0.0.1:5432/clipcut")
    /// Where services fetch the token-verification keys (user-service's `GET /api/auth/jwks`).
    public static let jwksURL = ConfigKey(
        "CLIPCUT_JWKS_URL", summary: "URL of the JWKS that verifies access tokens (user-service's /api/auth/jwks).",
        defaultValue: "http://127.0.0.1:8081/api/auth/jwks")
    /// The `iss` every access token must carry.
    public static let jwtIssuer = ConfigKey(
        "CLIPCUT_JWT_ISSUER", summary: "Issuer (iss) of access tokens.", defaultValue: "clipcut")
    /// The `aud` every access token must carry.
    public static let jwtAudience = ConfigKey(
        "CLIPCUT_JWT_AUDIENCE", summary: "Audience (aud) of access tokens.", defaultValue: "clipcut")
    /// Directory for a service's local files (dev signing key, temp files, models).
    public static let dataDirectory = ConfigKey(
        "CLIPCUT_DATA_DIR", summary: "Directory for local files: dev signing keys, temporary media, models.",
        defaultValue: "./.data")

    /// user-service: PEM files of ES256 private keys, comma-separated. The first signs; all are
    /// published in the JWKS (rotation: put the new key first, keep the old one until its tokens expire).
    public static let jwtSigningKeyFiles = ConfigKey(
        "CLIPCUT_JWT_SIGNING_KEY_FILES",
        summary: "user-service: comma-separated PEM files of ES256 private keys; the first signs, all are published. "
            + "Unset: a key generated on first run in CLIPCUT_DATA_DIR/jwt (development).")
    /// user-service: one ES256 private key as PEM text (from a secret), used before the files.
    public static let jwtSigningKeyPEM = ConfigKey(
        "CLIPCUT_JWT_SIGNING_KEY_PEM", summary: "user-service: an ES256 private key as PEM text; signs before any key file.")
    /// user-service: lifetime of an access token.
    public static let tokenLifetime = ConfigKey(
        "CLIPCUT_TOKEN_TTL_SECONDS", summary: "user-service: lifetime of an access token in seconds.", defaultValue: "3600")
    /// user-service: bcrypt cost factor.
    public static let bcryptCost = ConfigKey(
        "CLIPCUT_BCRYPT_COST", summary: "user-service: bcrypt cost factor (4-16).", defaultValue: "12")
    /// user-service: emails that get the admin role when they register.
    public static let adminEmails = ConfigKey(
        "CLIPCUT_ADMIN_EMAILS", summary: "user-service: comma-separated emails that are given the admin role at registration.",
        defaultValue: "")
    /// user-service: failed logins per email within the window before 429.
    public static let loginLimitPerEmail = ConfigKey(
        "CLIPCUT_LOGIN_LIMIT_PER_EMAIL", summary: "user-service: failed logins per email within the window before 429.",
        defaultValue: "5")
    /// user-service: failed logins per client address within the window before 429.
    public static let loginLimitPerAddress = ConfigKey(
        "CLIPCUT_LOGIN_LIMIT_PER_ADDRESS", summary: "user-service: failed logins per client address within the window before 429.",
        defaultValue: "20")
    /// user-service: the login-throttling window.
    public static let loginWindow = ConfigKey(
        "CLIPCUT_LOGIN_WINDOW_SECONDS", summary: "user-service: the window failed logins are counted in, in seconds.",
        defaultValue: "900")
    /// Whether the first address of `X-Forwarded-For` is the client (behind the ClipCut edge).
    public static let trustForwardedFor = ConfigKey(
        "CLIPCUT_TRUST_FORWARDED_FOR", summary: "Take the client address from X-Forwarded-For (only behind a trusted proxy).",
        defaultValue: "false")

    /// upload-service: bytes of sources each user may store in total.
    public static let uploadQuotaBytes = ConfigKey(
        "CLIPCUT_UPLOAD_QUOTA_BYTES", summary: "upload-service: bytes of sources each user may store in total (unfinished tus uploads count).",
        defaultValue: "10737418240")
    /// upload-service: largest single upload.
    public static let uploadMaxBytes = ConfigKey(
        "CLIPCUT_UPLOAD_MAX_BYTES", summary: "upload-service: largest single upload in bytes.", defaultValue: "4294967296")
    /// upload-service: the secret that signs playback tokens (shared by every replica).
    public static let playbackSecret = ConfigKey(
        "CLIPCUT_PLAYBACK_SECRET",
        summary: "upload-service: secret (32+ characters) signing playback tokens; every replica needs the same. "
            + "Unset: one generated on first run in CLIPCUT_DATA_DIR/playback-secret (development).")
    /// upload-service: lifetime of a playback token.
    public static let playbackTokenLifetime = ConfigKey(
        "CLIPCUT_PLAYBACK_TTL_SECONDS", summary: "upload-service: lifetime of a playback token (media URLs) in seconds.",
        defaultValue: "21600")
    /// upload-service: how long an unfinished tus upload is kept after its last byte.
    public static let tusExpiry = ConfigKey(
        "CLIPCUT_TUS_EXPIRY_SECONDS", summary: "upload-service: an unfinished resumable upload expires this long after it last received bytes.",
        defaultValue: "86400")
    /// upload-service: how often unpublished jobs and expired uploads are swept.
    public static let sweepInterval = ConfigKey(
        "CLIPCUT_SWEEP_INTERVAL_SECONDS", summary: "upload-service: how often jobs not yet queued (Redis was down) and expired uploads are swept.",
        defaultValue: "5")

    /// Internal services: the bearer token audio-service and upload-service's internal routes
    /// require, and processing-service sends.
    public static let serviceToken = ConfigKey(
        "CLIPCUT_SERVICE_TOKEN", summary: "Internal services: bearer token audio-service and upload-service's internal routes require and processing-service sends (required: they refuse to start without it unless CLIPCUT_ALLOW_NO_SERVICE_TOKEN=true).")

    /// Consumers of `clipcut:events`: when another consumer's pending entry is taken over.
    public static let eventsClaimIdle = ConfigKey(
        "CLIPCUT_EVENTS_CLAIM_IDLE_SECONDS",
        summary: "upload- and monitoring-service: an event pending this long on a consumer that stopped (a replaced pod) is taken over by another.",
        defaultValue: "60")
    /// Consumers of `clipcut:events`: deliveries before an event that always fails is dead-lettered.
    public static let eventsMaxDeliveries = ConfigKey(
        "CLIPCUT_EVENTS_MAX_DELIVERIES",
        summary: "upload- and monitoring-service: an event delivered this many times without success goes to clipcut:events:dead with its error.",
        defaultValue: "10")

    /// The name a replica reads consumer groups under (default: the service and the host name,
    /// which is the pod's name in Kubernetes).
    public static let consumerName = ConfigKey(
        "CLIPCUT_CONSUMER_NAME", summary: "upload- and monitoring-service: this replica's consumer name in clipcut:events (default: <service>-<host name>).")

    /// Development only: lets upload-, audio- and processing-service start without a service token.
    public static let allowNoServiceToken = ConfigKey(
        "CLIPCUT_ALLOW_NO_SERVICE_TOKEN",
        summary: "Development only: `true` lets upload-, audio- and processing-service start without CLIPCUT_SERVICE_TOKEN (their internal routes are then open).",
        defaultValue: "false")

    /// upload-service: how often acknowledged entries are trimmed from `clipcut:jobs` and `clipcut:events`.
    public static let streamTrimInterval = ConfigKey(
        "CLIPCUT_STREAM_TRIM_SECONDS",
        summary: "upload-service: how often the entries every consumer group acknowledged are trimmed from clipcut:jobs and clipcut:events.",
        defaultValue: "60")

    /// processing- and monitoring-service: which waiting job a free worker gets.
    public static let queuePolicy = ConfigKey(
        "CLIPCUT_QUEUE_POLICY",
        summary: "processing- and monitoring-service: fair (the owner with the least processing recently goes next) or fifo (the oldest job).",
        defaultValue: "fair")

    /// Every key declared in ClipCutCore, in the order the docs list them.
    public static let documented: [ConfigKey] = [
        .httpHost, .httpPort, .logLevel, .logFormat, .redisURL, .mongoURL, .postgresURL,
        .jwksURL, .jwtIssuer, .jwtAudience, .dataDirectory,
        .jwtSigningKeyFiles, .jwtSigningKeyPEM, .tokenLifetime, .bcryptCost, .adminEmails,
        .loginLimitPerEmail, .loginLimitPerAddress, .loginWindow, .trustForwardedFor,
        .uploadQuotaBytes, .uploadMaxBytes, .playbackSecret, .playbackTokenLifetime, .tusExpiry, .sweepInterval, .serviceToken,
        .eventsClaimIdle, .eventsMaxDeliveries, .consumerName, .allowNoServiceToken, .streamTrimInterval,
        .queuePolicy,
    ]
}
