import ClipCutCore
import Foundation
import Logging
import PostgresMigrations
import PostgresNIO

/// Accounts in PostgreSQL (table `users`). Every value is a bound parameter.
struct PostgresUserRepository: UserRepository {
    let client: PostgresClient
    let logger: Logger

    /// The schema, one migration per change; applied at start-up.
    static let migrator = PostgresMigrator(component: "users", migrations: [
        PostgresMigration(version: 1, name: "create users", statements: [
            """
            CREATE TABLE users (
                id UUID PRIMARY KEY,
                email TEXT NOT NULL,
                display_name TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
                disabled BOOLEAN NOT NULL DEFAULT FALSE,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            "CREATE UNIQUE INDEX users_email_key ON users (lower(email))",
            "CREATE INDEX users_created_order ON users (created_at, id)",
        ]),
        PostgresMigration(version: 2, name: "create user event outbox", statements: [
            """
            CREATE TABLE user_event_outbox (
                id BIGSERIAL PRIMARY KEY,
                message TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
        ]),
        PostgresMigration(version: 3, name: "outbox entries kept until confirmed durable", statements: [
            "ALTER TABLE user_event_outbox ADD COLUMN sent_id TEXT, ADD COLUMN sent_at TIMESTAMPTZ",
        ]),
    ])

    private static let columns = "id, email, display_name, password_hash, role, disabled, created_at, updated_at"

    private typealias Row = (UUID, String, String, String, String, Bool, Date, Date)

    private static func record(_ row: Row) -> UserRecord {
        UserRecord(
            id: UserID(uuid: row.0), email: row.1, displayName: row.2, passwordHash: row.3,
            role: UserRole(rawValue: row.4) ?? .user, disabled: row.5, createdAt: row.6, updatedAt: row.7
        )
    }

    private func records(_ query: PostgresQuery) async throws -> [UserRecord] {
        var out: [UserRecord] = []
        for try await row in try await client.query(query, logger: logger).decode(Row.self) {
            out.append(Self.record(row))
        }
        return out
    }

    func create(_ user: UserRecord) async throws {
        do {
            try await client.query(
                """
                INSERT INTO users (id, email, display_name, password_hash, role, disabled, created_at, updated_at)
                VALUES (\(user.id.uuid), \(user.email), \(user.displayName), \(user.passwordHash), \(user.role.rawValue),
                        \(user.disabled), \(user.createdAt), \(user.updatedAt))
                """,
                logger: logger
            )
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw UserRepositoryError.emailTaken
        }
    }

    func user(id: UserID) async throws -> UserRecord? {
        try await records("SELECT \(unescaped: Self.columns) FROM users WHERE id = \(id.uuid)").first
    }

    func user(email: String) async throws -> UserRecord? {
        try await records("SELECT \(unescaped: Self.columns) FROM users WHERE lower(email) = lower(\(email))").first
    }

    func update(id: UserID, _ update: UserUpdate, at: Date) async throws -> UserRecord? {
        try await records(
            """
            UPDATE users SET display_name = COALESCE(\(update.displayName), display_name),
                             password_hash = COALESCE(\(update.passwordHash), password_hash),
                             updated_at = \(at)
            WHERE id = \(id.uuid) RETURNING \(unescaped: Self.columns)
            """
        ).first
    }

    func delete(id: UserID, outboxMessage: String) async throws -> Bool {
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection in
            var deleted = false
            for try await _ in try await connection.query("DELETE FROM users WHERE id = \(id.uuid) RETURNING id", logger: logger) {
                deleted = true
            }
            if deleted {
                try await connection.query("INSERT INTO user_event_outbox (message) VALUES (\(outboxMessage))", logger: logger)
            }
            return deleted
        }
    }

    func pendingOutbox(limit: Int) async throws -> [OutboxEntry] {
        var entries: [OutboxEntry] = []
        let rows = try await client.query(
            "SELECT id, message, sent_id, sent_at FROM user_event_outbox ORDER BY id LIMIT \(limit)", logger: logger)
        for try await (id, message, sentID, sentAt) in rows.decode((Int64, String, String?, Date?).self) {
            entries.append(OutboxEntry(id: id, message: message, sentID: sentID, sentAt: sentAt))
        }
        return entries
    }

    func markOutboxSent(id: Int64, entryID: String, at: Date) async throws {
        try await client.query("UPDATE user_event_outbox SET sent_id = \(entryID), sent_at = \(at) WHERE id = \(id)", logger: logger)
    }

    func removeOutbox(id: Int64) async throws {
        try await client.query("DELETE FROM user_event_outbox WHERE id = \(id)", logger: logger)
    }

    func countAdmins() async throws -> Int {
        for try await count in try await client.query("SELECT count(*)::INT FROM users WHERE role = 'admin'", logger: logger).decode(Int.self) {
            return count
        }
        return 0
    }

    func list(after cursor: UserCursor?, limit: Int) async throws -> UserPage {
        let users: [UserRecord]
        if let cursor {
            users = try await records(
                """
                SELECT \(unescaped: Self.columns) FROM users
                WHERE (created_at, id) > (\(cursor.createdAt), \(cursor.id.uuid))
                ORDER BY created_at, id LIMIT \(limit + 1)
                """
            )
        } else {
            users = try await records("SELECT \(unescaped: Self.columns) FROM users ORDER BY created_at, id LIMIT \(limit + 1)")
        }
        let page = Array(users.prefix(limit))
        let next = users.count > limit ? page.last.map { UserCursor(createdAt: $0.createdAt, id: $0.id) } : nil
        return UserPage(users: page, next: next)
    }
}
