/// The five ClipCut services, with their executable names and default HTTP ports.
public enum ServiceName: String, Codable, Sendable, CaseIterable {
    /// Accounts, login, token signing, JWKS.
    case user = "user-service"
    /// Uploads into GridFS, the `videos` collection, media delivery.
    case upload = "upload-service"
    /// Speech to text with whisper.cpp.
    case audio = "audio-service"
    /// Transcode jobs.
    case processing = "processing-service"
    /// Upload history, live progress (SSE), statistics.
    case monitoring = "monitoring-service"

    /// The executable's name (also its log label and `Server` header).
    public var executableName: String { rawValue }

    /// The port the service listens on unless `CLIPCUT_HTTP_PORT` says otherwise.
    public var defaultPort: Int {
        switch self {
        case .user: 8081
        case .upload: 8082
        case .audio: 8083
        case .processing: 8084
        case .monitoring: 8085
        }
    }
}
