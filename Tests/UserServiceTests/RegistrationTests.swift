import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import UserService

@Suite("Registration and its bad input (router, in-memory repository)")
struct RegistrationTests {
    @Test("register returns 201 with the user and never the hash; the email is normalised")
    func register() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let response = try await client.register("  Alice@Example.COM ", name: " Alice ✓ ")
            #expect(response.status == .created)
            #expect(response.headers[.location] == "/api/users/me")
            let body = decodeJSON(response)
            #expect(body["email"] as? String == "alice@example.com")
            #expect(body["displayName"] as? String == "Alice ✓")
            #expect(body["role"] as? String == "user")
            #expect(body.keys.sorted() == ["createdAt", "disabled", "displayName", "email", "id", "role", "updatedAt"])
            let text = String(buffer: response.body)
            #expect(!text.contains("$2"), "no bcrypt hash in the body")
        }
        let stored = try #require(try await service.repository.user(email: "alice@example.com"))
        #expect(stored.passwordHash.hasPrefix("$2b$04$"))
    }

    @Test("a taken email, in any case, gives 409 email_taken")
    func duplicate() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            #expect(try await client.register("bob@example.com").status == .created)
            let again = try await client.register("BOB@example.com")
            #expect(again.status == .conflict)
            #expect(errorCode(again) == "email_taken")
        }
    }

    @Test("an email in CLIPCUT_ADMIN_EMAILS registers as admin only while no admin exists")
    func admin() async throws {
        let service = try await TestUserService(adminEmails: ["root@example.com", "second@example.com"])
        try await service.application().test(.router) { client in
            let response = try await client.register("Root@Example.com")
            #expect(decodeJSON(response)["role"] as? String == "admin")
            let later = try await client.register("second@example.com")
            #expect(decodeJSON(later)["role"] as? String == "user", "a listed address cannot claim admin once one exists")
        }
    }

    static let badBodies: [(String, String, String)] = [
        ("broken JSON", #"{"email": "a@example.com", "password": "#, "invalid_json"),
        ("not an object", #"["a@example.com"]"#, "invalid_json"),
        ("missing password", #"{"email":"a@example.com","displayName":"A"}"#, "invalid_json"),
        ("missing everything", "{}", "invalid_json"),
        ("password is a number", #"{"email":"a@example.com","password":1234567890123,"displayName":"A"}"#, "invalid_json"),
        ("email is null", #"{"email":null,"password":"correct horse battery","displayName":"A"}"#, "invalid_json"),
        ("empty body", "", "invalid_json"),
    ]

    @Test("broken JSON, missing fields and wrong types are 400 invalid_json, nothing written", arguments: badBodies)
    func badJSON(name: String, body: String, code: String) async throws {
        let service = try await TestUserService()
        let repository = try #require(service.repository as? InMemoryUserRepository)
        try await service.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/users", method: .post, body: ByteBuffer(string: body))
            #expect(response.status == .badRequest, "\(name)")
            #expect(errorCode(response) == code, "\(name)")
        }
        #expect(repository.count == 0)
    }

    static let badEmails = [
        "", "plainaddress", "two@@example.com", "a@b@example.com", "a@example", "a b@example.com",
        "a@exa mple.com", "a@-example.com", "a@example-.com", "a@example.123", ".a@example.com", "a..b@example.com",
        "a\u{202E}moc@example.com", "a\u{200B}@example.com", "a@exam\u{0000}ple.com", "a\n@example.com",
        "<script>@example.com", "a@" + String(repeating: "x", count: 64) + ".com",
        String(repeating: "a", count: 65) + "@example.com", "a@example.com\u{202E}",
    ]

    @Test("invalid emails, odd Unicode included, are 400 invalid_email", arguments: badEmails)
    func badEmail(email: String) async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let response = try await client.register(email)
            #expect(response.status == .badRequest)
            #expect(errorCode(response) == "invalid_email")
        }
    }

    @Test("Unicode emails that are valid are accepted and normalised to NFC")
    func unicodeEmail() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            // "é" written as e + combining acute; stored precomposed.
            let response = try await client.register("Jose\u{0301}@ëxample.org")
            #expect(response.status == .created)
            #expect(decodeJSON(response)["email"] as? String == "jos\u{00E9}@ëxample.org")
            #expect(try await client.register("jos\u{00E9}@ëxample.org").status == .conflict)
        }
    }

    @Test("passwords: 9 characters and 1,025 bytes are refused, 10 characters and 1,024 bytes accepted")
    func passwordLimits() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let short = try await client.register("p1@example.com", password: "123456789")
            #expect(short.status == .badRequest)
            #expect(errorCode(short) == "weak_password")
            let long = try await client.register("p2@example.com", password: String(repeating: "é", count: 512) + "x")
            #expect(long.status == .badRequest)
            #expect(errorCode(long) == "password_too_long")
            #expect(try await client.register("p3@example.com", password: "1234567890").status == .created)
            #expect(try await client.register("p4@example.com", password: String(repeating: "é", count: 512)).status == .created)
        }
        #expect((service.repository as? InMemoryUserRepository)?.count == 2)
    }

    @Test("display names: empty, control or bidi characters, or over 100 characters are refused", arguments: [
        "", "   ", "tab\tname", "bidi\u{202E}name", String(repeating: "n", count: 101),
    ])
    func badDisplayName(name: String) async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let response = try await client.register("n@example.com", name: name)
            #expect(response.status == .badRequest)
            #expect(errorCode(response) == "invalid_display_name")
        }
    }

    @Test("a 10 MB body is refused with 413 before it is parsed")
    func hugeBody() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let padding = String(repeating: "x", count: 10 * 1024 * 1024)
            let body = #"{"email":"big@example.com","password":"correct horse battery","displayName":"\#(padding)"}"#
            let response = try await client.execute(uri: "/api/users", method: .post, body: ByteBuffer(string: body))
            #expect(response.status == .contentTooLarge)
            #expect(errorCode(response) != nil)
        }
        #expect((service.repository as? InMemoryUserRepository)?.count == 0)
    }

    @Test("SQL metacharacters are just characters")
    func sqlMetacharacters() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let name = "Robert'); DROP TABLE users;--"
            let response = try await client.register("o'brien+x@example.com", name: name)
            #expect(response.status == .created)
            #expect(decodeJSON(response)["displayName"] as? String == name)
        }
    }
}
