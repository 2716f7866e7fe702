import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import ServiceSupport
import Testing

@testable import UserService

@Suite("Login, tokens and throttling (router, in-memory repository)")
struct SessionTests {
    @Test("login returns an ES256 token that an independent jwt-kit verifies with the published JWKS")
    func loginToken() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let registered = decodeJSON(try await client.register("carol@example.com"))
            let response = try await client.login("CAROL@example.com")
            #expect(response.status == .ok)
            let body = decodeJSON(response)
            #expect(body["tokenType"] as? String == "Bearer")
            #expect((body["user"] as? [String: Any])?["id"] as? String == registered["id"] as? String)
            let token = try #require(body["token"] as? String)

            let jwks = try await client.execute(uri: "/api/auth/jwks", method: .get)
            #expect(jwks.headers[.cacheControl] == "public, max-age=300")
            let independent = JWTKeyCollection()
            try await independent.add(jwksJSON: String(buffer: jwks.body))
            let claims = try await independent.verify(token, as: AccessTokenClaims.self)
            #expect(claims.subject.value == registered["id"] as? String)
            #expect(claims.issuer.value == "clipcut")
            #expect(claims.audience.value == ["clipcut"])
            #expect(claims.role == .user)
            let lifetime = claims.expiration.value.timeIntervalSince(claims.issuedAt.value)
            #expect(lifetime == 3600)
            let header = try #require(token.split(separator: ".").first)
            let headerJSON = try #require(Base64URL.decode(header))
            let fields = try #require(try JSONSerialization.jsonObject(with: headerJSON) as? [String: Any])
            #expect(fields["alg"] as? String == "ES256")
            #expect(fields["kid"] as? String == service.keys.signingKey.kid)
        }
    }

    @Test("unknown email and wrong password get the same 401 body")
    func noEnumeration() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            try await client.register("dave@example.com")
            let wrongPassword = try await client.login("dave@example.com", password: "not the password")
            let unknownEmail = try await client.login("nobody@example.com", password: "not the password")
            #expect(wrongPassword.status == .unauthorized)
            #expect(unknownEmail.status == .unauthorized)
            #expect(String(buffer: wrongPassword.body) == String(buffer: unknownEmail.body))
            #expect(errorCode(wrongPassword) == "invalid_credentials")
        }
    }

    @Test("after 5 failures for an email, even the right password gets 429 with Retry-After")
    func throttlePerEmail() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            try await client.register("erin@example.com")
            for attempt in 1...5 {
                let response = try await client.login("erin@example.com", password: "wrong password \(attempt)", from: "198.51.100.\(attempt)")
                #expect(response.status == .unauthorized)
            }
            let blocked = try await client.login("erin@example.com", from: "198.51.100.99")
            #expect(blocked.status == .tooManyRequests)
            #expect(errorCode(blocked) == "too_many_attempts")
            #expect(Int(blocked.headers[.retryAfter] ?? "") == 900)
        }
    }

    @Test("after 20 failures from one address, that address is throttled for any email")
    func throttlePerAddress() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            try await client.register("frank@example.com")
            for attempt in 1...20 {
                _ = try await client.login("guess\(attempt)@example.com", from: "203.0.113.7")
            }
            #expect(try await client.login("frank@example.com", from: "203.0.113.7").status == .tooManyRequests)
            #expect(try await client.login("frank@example.com", from: "203.0.113.8").status == .ok)
        }
    }

    @Test("behind the edge, only the right-most X-Forwarded-For entry counts: a client cannot pick its address")
    func forwardedForSpoofing() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            try await client.register("kim@example.com")
            for attempt in 1...20 {
                // The client writes a new fake address each time; the proxy appends the real one.
                _ = try await client.login("guess\(attempt)@example.com", from: "10.9.\(attempt).1, 203.0.113.50")
            }
            #expect(try await client.login("kim@example.com", from: "1.2.3.4, 203.0.113.50").status == .tooManyRequests)
        }
    }

    @Test("a successful login clears the email's failures")
    func successResets() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            try await client.register("gina@example.com")
            for _ in 1...4 { _ = try await client.login("gina@example.com", password: "wrong password") }
            #expect(try await client.login("gina@example.com").status == .ok)
            for _ in 1...4 { _ = try await client.login("gina@example.com", password: "wrong password") }
            #expect(try await client.login("gina@example.com").status == .ok)
        }
    }

    @Test("login bad input: broken JSON, invalid email, oversized password are 4xx JSON errors")
    func loginBadInput() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let broken = try await client.execute(uri: "/api/sessions", method: .post, body: ByteBuffer(string: "{\"email\":"))
            #expect(broken.status == .badRequest)
            #expect(errorCode(broken) == "invalid_json")
            let invalid = try await client.login("not-an-email")
            #expect(invalid.status == .badRequest)
            let huge = try await client.login("h@example.com", password: String(repeating: "x", count: 1025))
            #expect(huge.status == .unauthorized)
        }
    }

    @Test("a disabled account cannot log in or use its token (403 account_disabled)")
    func disabled() async throws {
        let repository = InMemoryUserRepository()
        let service = try await TestUserService(repository: repository)
        try await service.application().test(.router) { client in
            let token = try await client.token(for: "hank@example.com")
            let id = try #require(try await repository.user(email: "hank@example.com")?.id)
            repository.setDisabled(id)
            let login = try await client.login("hank@example.com")
            #expect(login.status == .forbidden)
            #expect(errorCode(login) == "account_disabled")
            let me = try await client.execute(uri: "/api/users/me", method: .get, headers: bearer(token))
            #expect(me.status == .forbidden)
            #expect(errorCode(me) == "account_disabled")
        }
    }
}
