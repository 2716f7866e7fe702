import ClipCutCore
import Foundation

/// An account as stored (with its password hash; never sent to a client as is).
struct UserRecord: Sendable, Equatable {
    var id: UserID
    var email: String
    var displayName: String
    var passwordHash: String
    var role: UserRole
    var disabled: Bool
    var createdAt: Date
    var updatedAt: Date
}

/// What changes in an update; `nil` leaves a field as it is.
struct UserUpdate: Sendable, Equatable {
    var displayName: String?
    var passwordHash: String?
}

/// A page of users in creation order, and where the next one starts.
struct UserPage: Sendable, Equatable {
    var users: [UserRecord]
    var next: UserCursor?
}

/// A position in the creation order: after (createdAt, id).
struct UserCursor: Sendable, Equatable {
    var createdAt: Date
    var id: UserID

    /// Opaque text form for the `cursor` query parameter: `<microseconds>.<uuid>`.
    var token: String {
        "\(Int64((createdAt.timeIntervalSince1970 * 1_000_000).rounded())).\(id)"
    }

    init(createdAt: Date, id: UserID) {
        self.createdAt = createdAt
        self.id = id
    }

    init?(token: String) {
        let parts = token.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UserID(String(parts[1])) else { return nil }
        self.createdAt = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
        self.id = id
    }
}

/// An event written with a change and published after it (transactional outbox).
struct OutboxEntry: Sendable, Equatable {
    var id: Int64
    var message: String
    /// The `clipcut:events` entry it was appended as, waiting to be confirmed durable.
    var sentID: String? = nil
    /// When it was appended.
    var sentAt: Date? = nil
}

/// Errors a repository reports; the routes map them to HTTP.
enum UserRepositoryError: Error, Equatable {
    /// Another account has this email (case-insensitively).
    case emailTaken
}

/// Where accounts live: PostgreSQL in production, memory in router tests.
protocol UserRepository: Sendable {
    /// Stores a new account. Throws ``UserRepositoryError/emailTaken``.
    func create(_ user: UserRecord) async throws
    /// The account with this id.
    func user(id: UserID) async throws -> UserRecord?
    /// The account with this (normalised) email.
    func user(email: String) async throws -> UserRecord?
    /// Applies `update` and returns the new record, `nil` if the account is gone.
    func update(id: UserID, _ update: UserUpdate, at: Date) async throws -> UserRecord?
    /// Deletes the account and, in the same transaction, queues `outboxMessage` (the
    /// `user.deleted` event) for ``OutboxRelay``; whether the account existed.
    func delete(id: UserID, outboxMessage: String) async throws -> Bool
    /// Queued events not yet published, oldest first.
    func pendingOutbox(limit: Int) async throws -> [OutboxEntry]
    /// Records that an event was appended as entry `entryID`, to be confirmed later.
    func markOutboxSent(id: Int64, entryID: String, at: Date) async throws
    /// Forgets an event confirmed durable.
    func removeOutbox(id: Int64) async throws
    /// How many accounts have the admin role.
    func countAdmins() async throws -> Int
    /// Up to `limit` accounts after `cursor`, in creation order.
    func list(after cursor: UserCursor?, limit: Int) async throws -> UserPage
}

/// The JSON form of an account (never the hash).
struct UserResponse: Codable, Sendable, Equatable {
    var id: UserID
    var email: String
    var displayName: String
    var role: UserRole
    var disabled: Bool
    var createdAt: Date
    var updatedAt: Date

    init(_ record: UserRecord) {
        id = record.id
        email = record.email
        displayName = record.displayName
        role = record.role
        disabled = record.disabled
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }
}
