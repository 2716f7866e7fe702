import Logging
import PostgresNIO

/// One schema change, applied at most once per database.
public struct PostgresMigration: Sendable {
    /// Position in the sequence; versions only ever grow.
    public let version: Int
    /// A short description, stored with the version.
    public let name: String
    /// The statements to run, in order, inside the migration's transaction.
    public let statements: [String]

    /// Creates a migration.
    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// Why the migrations could not be applied.
public enum PostgresMigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The list of migrations is not strictly increasing by version.
    case versionsOutOfOrder
    /// The database has a version this build does not know (it was migrated by a newer build).
    case unknownVersion(Int)

    public var description: String {
        switch self {
        case .versionsOutOfOrder: "migration versions must be strictly increasing"
        case .unknownVersion(let version): "database is at migration \(version), which this build does not know"
        }
    }
}

/// Applies versioned migrations, recording each in `schema_migrations` under its component
/// (services sharing a database each own a component: `users`, `monitoring`).
///
/// Each pending migration runs in its own transaction together with its row in
/// `schema_migrations`, so a failure leaves nothing half-applied. A transaction-scoped
/// advisory lock makes replicas that start at the same time apply them one after another;
/// the second finds nothing left to do. Running it again is a no-op.
public struct PostgresMigrator: Sendable {
    /// Whose schema this is; versions are counted per component.
    public let component: String
    /// The migrations, in version order.
    public let migrations: [PostgresMigration]
    /// The advisory-lock key that serialises concurrent migrators of the database.
    public static let lockKey: Int64 = 0x436C_6970_4375_7401  // "ClipCut" + 1

    /// Creates a migrator.
    public init(component: String, migrations: [PostgresMigration]) {
        self.component = component
        self.migrations = migrations
    }

    /// Applies the pending migrations and returns the versions it applied.
    @discardableResult
    public func migrate(client: PostgresClient, logger: Logger) async throws -> [Int] {
        guard zip(migrations, migrations.dropFirst()).allSatisfy({ $0.version < $1.version }) else {
            throw PostgresMigrationError.versionsOutOfOrder
        }
        let lockKey = Self.lockKey
        // Under the lock too: two replicas creating the table at once would collide.
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    component TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                    PRIMARY KEY (component, version)
                )
                """,
                logger: logger
            )
        }
        var applied: [Int] = []
        let component = self.component
        for migration in migrations {
            let didApply = try await client.withTransaction(logger: logger) { connection -> Bool in
                try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
                let rows = try await connection.query(
                    "SELECT version FROM schema_migrations WHERE component = \(component) AND version = \(migration.version)",
                    logger: logger
                )
                for try await _ in rows { return false }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (component, version, name) VALUES (\(component), \(migration.version), \(migration.name))",
                    logger: logger
                )
                return true
            }
            if didApply {
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration.version)
            }
        }
        let newest = try await client.query(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = \(component)", logger: logger
        )
        for try await version in newest.decode(Int.self) where version > (migrations.last?.version ?? 0) {
            throw PostgresMigrationError.unknownVersion(version)
        }
        return applied
    }
}
