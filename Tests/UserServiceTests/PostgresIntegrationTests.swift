import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresMigrations
import PostgresNIO
import Redis
import ServiceSupport
import Testing

@testable import UserService

/// Runs `body` with a running PostgresClient on the server `scripts/test` started, and a Redis client.
func withRealServers<T: Sendable>(_ body: @escaping @Sendable (PostgresClient, RedisClient) async throws -> T) async throws -> T {
    let environment = ProcessInfo.processInfo.environment
    let postgresURL = try #require(
        environment["CLIPCUT_POSTGRES_URL"].flatMap(URL.init(string:)),
        "CLIPCUT_POSTGRES_URL is not set: run the tests through scripts/test, which starts PostgreSQL"
    )
    let redisURL = try #require(environment["CLIPCUT_REDIS_URL"], "CLIPCUT_REDIS_URL is not set: run through scripts/test")
    let client = PostgresClient(configuration: try postgresConfiguration(postgresURL), backgroundLogger: Logger(label: "test.postgres"))
    let redis = RedisClient(configuration: try RedisConfiguration(url: redisURL))
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await client.run()
            return nil
        }
        defer { group.cancelAll() }
        let result = try await body(client, redis)
        await redis.shutdown()
        return result
    }
}

/// A user-service wired to the real PostgreSQL and Redis, migrated.
func realService(_ postgres: PostgresClient, _ redis: RedisClient) async throws -> TestUserService {
    let logger = Logger(label: "test.user-service")
    try await PostgresUserRepository.migrator.migrate(client: postgres, logger: logger)
    return try await TestUserService(
        repository: PostgresUserRepository(client: postgres, logger: logger),
        throttle: RedisLoginThrottle(redis: redis, policy: TestUserService.policy),
        publisher: RedisEventPublisher(redis: redis)
    )
}

func uniqueEmail(_ name: String) -> String {
    "\(name)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
}

@Suite("user-service against the real PostgreSQL and Redis")
struct PostgresIntegrationTests {
    @Test("migrations: a second run applies nothing; schema_migrations records each version once")
    func migrationsAreIdempotent() async throws {
        try await withRealServers { postgres, _ in
            let logger = Logger(label: "test")
            try await PostgresUserRepository.migrator.migrate(client: postgres, logger: logger)
            #expect(try await PostgresUserRepository.migrator.migrate(client: postgres, logger: logger).isEmpty)
            let rows = try await postgres.query("SELECT version FROM schema_migrations WHERE component = 'users' ORDER BY version", logger: logger)
            var versions: [Int] = []
            for try await version in rows.decode(Int.self) { versions.append(version) }
            #expect(versions == PostgresUserRepository.migrator.migrations.map(\.version))
        }
    }

    @Test("register → login → me → change password → old password fails → delete; user.deleted reaches clipcut:events")
    func fullCycle() async throws {
        try await withRealServers { postgres, redis in
            let service = try await realService(postgres, redis)
            let email = uniqueEmail("cycle")
            try await service.application().test(.router) { client in
                let token = try await client.token(for: email)
                let me = try await client.execute(uri: "/api/users/me", method: .get, headers: bearer(token))
                #expect(me.status == .ok)
                let id = try #require(decodeJSON(me)["id"] as? String)
                let changed = try await client.execute(
                    uri: "/api/users/me", method: .patch, headers: bearer(token),
                    body: jsonBody(["password": "the second password", "currentPassword": "correct horse battery"])
                )
                #expect(changed.status == .ok)
                #expect(try await client.login(email).status == .unauthorized)
                #expect(try await client.login(email, password: "the second password").status == .ok)
                #expect(try await client.execute(uri: "/api/users/me", method: .delete, headers: bearer(token)).status == .noContent)
                #expect(try await client.execute(uri: "/api/users/me", method: .get, headers: bearer(token)).status == .unauthorized)

                let recent = try await redis.xrevrange(RedisNames.eventsStream, count: 50)
                let deletions = recent.compactMap { $0.fields[RedisNames.messageField] }.filter { $0.contains(id) }
                #expect(deletions.count == 1)
                #expect(deletions.first?.contains("\"type\":\"user.deleted\"") == true)
            }
            // The event stays in the outbox until it is seen durable in the stream. A crash that
            // lost it (XDEL here) makes the relay append it again.
            let kept = try await service.repository.pendingOutbox(limit: 10)
            let sentID = try #require(kept.first?.sentID)
            #expect(kept.count == 1)
            _ = try await redis.execute(["XDEL", RedisNames.eventsStream, sentID])
            let relay = service.dependencies.outbox
            #expect(await relay.flush(now: Date().addingTimeInterval(3)) == 1)
            let again = try #require(try await service.repository.pendingOutbox(limit: 10).first?.sentID)
            let present = try await redis.xrange(RedisNames.eventsStream, start: again, end: again)
            #expect(again != sentID && present.count == 1)
            #expect(await relay.flush(now: Date().addingTimeInterval(6)) == 0)
            let outbox = try await postgres.query("SELECT count(*) FROM user_event_outbox", logger: Logger(label: "test"))
            for try await count in outbox.decode(Int.self) { #expect(count == 0) }
        }
    }

    @Test("50 registrations of the same email at once give exactly one 201")
    func concurrentRegistrations() async throws {
        try await withRealServers { postgres, redis in
            let service = try await realService(postgres, redis)
            let email = uniqueEmail("race")
            try await service.application().test(.live) { client in
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await client.register(email).status }
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .created }.count == 1)
                #expect(statuses.filter { $0 == .conflict }.count == 49)
            }
        }
    }

    @Test("SQL metacharacters in every field are stored literally")
    func sqlMetacharacters() async throws {
        try await withRealServers { postgres, redis in
            let service = try await realService(postgres, redis)
            let email = "o'hara%_*" + uniqueEmail("sql")
            let name = "'); DROP TABLE users; -- \\ % _ \" ;"
            let password = "' OR '1'='1'; --"
            try await service.application().test(.router) { client in
                let created = try await client.register(email, password: password, name: name)
                #expect(created.status == .created)
                #expect(decodeJSON(created)["displayName"] as? String == name)
                #expect(try await client.login(email, password: password).status == .ok)
                #expect(try await client.login(email, password: "' OR 1=1 --").status == .unauthorized)
                #expect(try await client.login("%@example.com", password: password).status == .unauthorized)
            }
            let stored = try #require(try await service.repository.user(email: email.lowercased()))
            #expect(stored.displayName == name)
        }
    }

    @Test("login throttling counted in Redis holds across two replicas")
    func throttleAcrossReplicas() async throws {
        try await withRealServers { postgres, redis in
            let first = try await realService(postgres, redis)
            let secondRedis = RedisClient(configuration: redis.configuration)
            let second = try await TestUserService(
                repository: first.repository,
                throttle: RedisLoginThrottle(redis: secondRedis, policy: TestUserService.policy)
            )
            let email = uniqueEmail("throttle")
            try await first.application().test(.router) { client in
                try await client.register(email)
                for _ in 1...3 { _ = try await client.login(email, password: "wrong password") }
            }
            try await second.application().test(.router) { client in
                for _ in 1...2 { _ = try await client.login(email, password: "wrong password") }
                let blocked = try await client.login(email)
                #expect(blocked.status == .tooManyRequests)
                let retryAfter = try #require(Int(blocked.headers[.retryAfter] ?? ""))
                #expect(retryAfter > 0 && retryAfter <= 900)
            }
            await secondRedis.shutdown()
        }
    }

    @Test("50 wrong passwords sent at once through two replicas: at most the limit (5) reach bcrypt, the rest get 429")
    func loginBurst() async throws {
        try await withRealServers { postgres, redis in
            let first = try await realService(postgres, redis)
            let secondRedis = RedisClient(configuration: redis.configuration)
            let second = try await TestUserService(
                repository: first.repository, throttle: RedisLoginThrottle(redis: secondRedis, policy: TestUserService.policy))
            let email = uniqueEmail("burst")
            _ = try await first.application().test(.router) { client in try await client.register(email) }
            try await first.application().test(.router) { one in
                try await second.application().test(.router) { other in
                    let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                        for index in 0..<50 {
                            group.addTask { Int(try await (index % 2 == 0 ? one : other).login(email, password: "wrong password").status.code) }
                        }
                        return try await group.reduce(into: [Int]()) { $0.append($1) }
                    }
                    #expect(statuses.filter { $0 == 401 }.count == TestUserService.policy.maximumPerEmail, "\(statuses)")
                    #expect(statuses.filter { $0 == 429 }.count == 50 - TestUserService.policy.maximumPerEmail)
                }
            }
            await secondRedis.shutdown()
        }
    }

    @Test("PyJWT, fetching the JWKS over HTTP, verifies a fresh token")
    func independentVerifier() async throws {
        try await withRealServers { postgres, redis in
            let service = try await realService(postgres, redis)
            let email = uniqueEmail("pyjwt")
            try await service.application().test(.live) { client in
                let token = try await client.token(for: email)
                let port = try #require(client.port)
                let id = try #require(try await service.repository.user(email: email)?.id)
                let verified = try await runPython(["verify_token.py", "http://127.0.0.1:\(port)/api/auth/jwks", token, "clipcut", "clipcut"])
                #expect(verified == id.description)
                await #expect(throws: PythonFailed.self) {
                    try await runPython(["verify_token.py", "http://127.0.0.1:\(port)/api/auth/jwks", token, "clipcut", "another-audience"])
                }
            }
        }
    }
}

struct PythonFailed: Error { let status: Int32 }

/// Runs a script of this test target with the venv's Python; returns its standard output.
/// Runs a script on a Dispatch thread: the calling task waits without holding one of the few
/// cooperative threads (the live server in this process needs them to answer the script).
func runPython(_ arguments: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try runPythonBlocking(arguments) }) }
    }
}

private func runPythonBlocking(_ arguments: [String]) throws -> String {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let root = directory.deletingLastPathComponent().deletingLastPathComponent()
    let python = ProcessInfo.processInfo.environment["CLIPCUT_PYTHON"] ?? root.appendingPathComponent(".deps/venv/bin/python").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [directory.appendingPathComponent(arguments[0]).path] + arguments.dropFirst()
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw PythonFailed(status: process.terminationStatus) }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
