import ClipCutCore
import HTTPTypes
import Hummingbird
import ServiceSupport

/// Which upload bodies this replica takes in at once, and how long it waits for their bytes.
///
/// An upload body is the one request a client controls the length of: a few dozen connections
/// sending a byte a minute would otherwise hold this replica's slots for ever. So at most
/// `perUser` bodies of one user and `perReplica` of everybody are received at once (429 with
/// `Retry-After` beyond), and a body that sends nothing for `idleLimit` is cut off with 408.
struct UploadAdmission: Sendable {
    /// Bodies being received now, per user and in all.
    let slots: SlotLimiter<UserID>
    /// The longest pause allowed between two parts of a body.
    let idleLimit: Duration

    init(perUser: Int, perReplica: Int, idleLimit: Duration) {
        self.slots = SlotLimiter(perKey: perUser, total: perReplica)
        self.idleLimit = max(idleLimit, .seconds(1))
    }

    /// Runs `body` (which reads one upload body of `user`) holding a slot.
    /// - Throws: 429 `too_many_uploads` with `Retry-After` when no slot is free.
    func receive<T>(for user: UserID, _ body: () async throws -> T) async throws -> T {
        switch slots.acquire(user) {
        case .success: break
        case .failure(.keyFull):
            throw Self.refusal(
                "You have \(slots.perKey) uploads in progress already; finish or cancel one first.", retryAfter: 10)
        case .failure(.totalFull):
            throw Self.refusal("This server is receiving as many uploads as it can; try again shortly.", retryAfter: 5)
        }
        defer { slots.release(user) }
        return try await body()
    }

    /// The request's body, cut off with ``BodyIdleTimeout`` after `idleLimit` without bytes.
    func body(of request: Request) -> IdleLimitedSequence<RequestBody> {
        request.body.idleLimited(idleLimit)
    }

    private static func refusal(_ message: String, retryAfter seconds: Int) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(seconds)
        return APIError(.tooManyRequests, code: "too_many_uploads", message: message, headers: headers)
    }
}

extension ConfigKey {
    /// upload-service: upload bodies one user may send to one replica at once.
    static let uploadsPerUser = ConfigKey(
        "CLIPCUT_UPLOADS_PER_USER", summary: "upload-service: upload bodies (direct or tus PATCH) one user may send to one replica at once (429 beyond).",
        defaultValue: "4")
    /// upload-service: upload bodies one replica receives at once.
    static let uploadsPerReplica = ConfigKey(
        "CLIPCUT_UPLOADS_PER_REPLICA", summary: "upload-service: upload bodies one replica receives at once, all users together (429 beyond).",
        defaultValue: "64")
    /// upload-service: the longest pause between two parts of an upload body.
    static let uploadIdleSeconds = ConfigKey(
        "CLIPCUT_UPLOAD_IDLE_SECONDS", summary: "upload-service: seconds an upload body may send nothing before it is cut off with 408 (a tus upload keeps what was stored).",
        defaultValue: "30")
}
