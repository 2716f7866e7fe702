import Foundation
import Logging
import PostgresMigrations
import PostgresNIO
import Testing

/// Runs `body` with a running client on the PostgreSQL `scripts/test` started.
func withPostgres(_ body: @escaping @Sendable (PostgresClient) async throws -> Void) async throws {
    let text = try #require(
        ProcessInfo.processInfo.environment["CLIPCUT_POSTGRES_URL"],
        "CLIPCUT_POSTGRES_URL is not set: run the tests through scripts/test, which starts PostgreSQL"
    )
    let url = try #require(URL(string: text))
    let configuration = PostgresClient.Configuration(
        host: url.host ?? "127.0.0.1", port: url.port ?? 5432, username: url.user ?? "",
        password: url.password, database: String(url.path.dropFirst()), tls: .disable
    )
    let client = PostgresClient(configuration: configuration)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        try await body(client)
    }
}

func count(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int {
    for try await value in try await client.query(query, logger: Logger(label: "test")).decode(Int.self) { return value }
    return -1
}

@Suite("PostgresMigrator against the real PostgreSQL")
struct PostgresMigratorTests {
    let logger = Logger(label: "test.migrations")

    @Test("applies pending migrations once, in order; a second run is a no-op")
    func appliesOnce() async throws {
        let component = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let table = "t_\(component)"
        let migrator = PostgresMigrator(component: component, migrations: [
            PostgresMigration(version: 1, name: "create", statements: ["CREATE TABLE \(table) (id INT PRIMARY KEY)"]),
            PostgresMigration(version: 2, name: "add column", statements: ["ALTER TABLE \(table) ADD COLUMN name TEXT"]),
        ])
        try await withPostgres { (client: PostgresClient) async throws in
            #expect(try await migrator.migrate(client: client, logger: logger) == [1, 2])
            #expect(try await migrator.migrate(client: client, logger: logger) == [])
            try await client.query("INSERT INTO \(unescaped: table) (id, name) VALUES (1, 'x')", logger: logger)
            #expect(try await count(client, "SELECT count(*)::INT FROM schema_migrations WHERE component = \(component)") == 2)
        }
    }

    @Test("a failing migration leaves nothing of itself behind and is not recorded")
    func failureRollsBack() async throws {
        let component = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let table = "t_\(component)"
        let migrator = PostgresMigrator(component: component, migrations: [
            PostgresMigration(version: 1, name: "half broken", statements: [
                "CREATE TABLE \(table) (id INT PRIMARY KEY)",
                "THIS IS NOT SQL",
            ]),
        ])
        try await withPostgres { (client: PostgresClient) async throws in
            await #expect(throws: (any Error).self) { try await migrator.migrate(client: client, logger: logger) }
            #expect(try await count(client, "SELECT count(*)::INT FROM pg_tables WHERE tablename = \(table)") == 0)
            #expect(try await count(client, "SELECT count(*)::INT FROM schema_migrations WHERE component = \(component)") == 0)
        }
    }

    @Test("versions out of order, or a database newer than the build, are refused")
    func refusals() async throws {
        let component = "test_\(UUID().uuidString.prefix(8).lowercased())"
        try await withPostgres { (client: PostgresClient) async throws in
            let unordered = PostgresMigrator(component: component, migrations: [
                PostgresMigration(version: 2, name: "b", statements: ["SELECT 1"]),
                PostgresMigration(version: 1, name: "a", statements: ["SELECT 1"]),
            ])
            await #expect(throws: PostgresMigrationError.versionsOutOfOrder) { try await unordered.migrate(client: client, logger: logger) }
            let newer = PostgresMigrator(component: component, migrations: [
                PostgresMigration(version: 1, name: "a", statements: ["SELECT 1"]),
                PostgresMigration(version: 2, name: "b", statements: ["SELECT 1"]),
            ])
            try await newer.migrate(client: client, logger: logger)
            let older = PostgresMigrator(component: component, migrations: [PostgresMigration(version: 1, name: "a", statements: ["SELECT 1"])])
            await #expect(throws: PostgresMigrationError.unknownVersion(2)) { try await older.migrate(client: client, logger: logger) }
        }
    }

    @Test("two migrators starting together apply each migration once")
    func concurrentMigrators() async throws {
        let component = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let table = "t_\(component)"
        let migrator = PostgresMigrator(component: component, migrations: [
            PostgresMigration(version: 1, name: "create", statements: ["CREATE TABLE \(table) (id INT)"]),
        ])
        try await withPostgres { (client: PostgresClient) async throws in
            async let first = migrator.migrate(client: client, logger: logger)
            async let second = migrator.migrate(client: client, logger: logger)
            let applied = try await first + second
            #expect(applied == [1])
        }
    }
}
