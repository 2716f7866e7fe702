import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import ServiceSupport
import Testing

@testable import UserService

@Suite("The caller's account and the admin list (router, in-memory repository)")
struct AccountTests {
    @Test("me → change name → change password (current one required) → old password fails → delete")
    func accountLifecycle() async throws {
        let publisher = RecordingEventPublisher()
        let service = try await TestUserService(publisher: publisher)
        try await service.application().test(.router) { client in
            let token = try await client.token(for: "ivy@example.com")
            let me = try await client.execute(uri: "/api/users/me", method: .get, headers: bearer(token))
            #expect(me.status == .ok)
            let id = try #require(decodeJSON(me)["id"] as? String)

            let renamed = try await client.execute(
                uri: "/api/users/me", method: .patch, headers: bearer(token), body: jsonBody(["displayName": "Ivy 🌿"])
            )
            #expect(decodeJSON(renamed)["displayName"] as? String == "Ivy 🌿")

            let noCurrent = try await client.execute(
                uri: "/api/users/me", method: .patch, headers: bearer(token), body: jsonBody(["password": "a brand new password"])
            )
            #expect(noCurrent.status == .forbidden)
            #expect(errorCode(noCurrent) == "wrong_current_password")
            let wrongCurrent = try await client.execute(
                uri: "/api/users/me", method: .patch, headers: bearer(token),
                body: jsonBody(["password": "a brand new password", "currentPassword": "not it at all"])
            )
            #expect(wrongCurrent.status == .forbidden)
            let weak = try await client.execute(
                uri: "/api/users/me", method: .patch, headers: bearer(token),
                body: jsonBody(["password": "short", "currentPassword": "correct horse battery"])
            )
            #expect(errorCode(weak) == "weak_password")
            let changed = try await client.execute(
                uri: "/api/users/me", method: .patch, headers: bearer(token),
                body: jsonBody(["password": "a brand new password", "currentPassword": "correct horse battery"])
            )
            #expect(changed.status == .ok)
            #expect(try await client.login("ivy@example.com").status == .unauthorized)
            #expect(try await client.login("ivy@example.com", password: "a brand new password").status == .ok)

            let nothing = try await client.execute(uri: "/api/users/me", method: .patch, headers: bearer(token), body: jsonBody([:]))
            #expect(nothing.status == .badRequest)

            let deleted = try await client.execute(uri: "/api/users/me", method: .delete, headers: bearer(token))
            #expect(deleted.status == .noContent)
            let after = try await client.execute(uri: "/api/users/me", method: .get, headers: bearer(token))
            #expect(after.status == .unauthorized)
            #expect(try await client.login("ivy@example.com", password: "a brand new password").status == .unauthorized)

            let event = try #require(publisher.messages.first)
            guard case .userDeleted(let userDeleted) = try ClipCutEvent.decode(from: event) else {
                Issue.record("expected user.deleted, got \(event)")
                return
            }
            #expect(userDeleted.userId.description == id)
        }
        // Kept until seen durable in the stream; an entry lost by a Redis crash goes out again.
        let kept = try await service.repository.pendingOutbox(limit: 10)
        #expect(kept.count == 1 && kept.first?.sentID != nil)
        // Times from when it was sent, not from now: a loaded machine may take seconds to get here.
        let sentAt = try #require(kept.first?.sentAt)
        publisher.loseEverything()
        let relay = service.dependencies.outbox
        #expect(await relay.flush(now: sentAt.addingTimeInterval(1)) == 0, "too early to tell")
        #expect(await relay.flush(now: sentAt.addingTimeInterval(3)) == 1)
        #expect(publisher.messages.count == 1)
        #expect(await relay.flush(now: sentAt.addingTimeInterval(6)) == 0)
        #expect(try await service.repository.pendingOutbox(limit: 10).isEmpty)
    }

    @Test("tokens: missing, garbage, another issuer, expired, another key, alg none all get 401")
    func badTokens() async throws {
        let service = try await TestUserService()
        try await service.application().test(.router) { client in
            let token = try await client.token(for: "jack@example.com")
            let id = try #require(try await service.repository.user(email: "jack@example.com")?.id)
            let sameKey = JWTKeyCollection()
            await sameKey.add(ecdsa: service.keys.signingKey.privateKey, kid: JWKIdentifier(string: service.keys.signingKey.kid))
            let otherKey = JWTKeyCollection()
            await otherKey.add(ecdsa: ES256PrivateKey(), kid: JWKIdentifier(string: service.keys.signingKey.kid))

            let now = Date()
            let otherIssuer = try await sameKey.sign(AccessTokenClaims(
                user: id, role: .admin, issuer: "someone-else", audience: "clipcut", expiresAt: now + 600))
            let expired = try await sameKey.sign(AccessTokenClaims(
                user: id, role: .user, issuer: "clipcut", audience: "clipcut", issuedAt: now - 7200, expiresAt: now - 3600))
            let forged = try await otherKey.sign(AccessTokenClaims(
                user: id, role: .admin, issuer: "clipcut", audience: "clipcut", expiresAt: now + 600))
            let payload = Base64URL.encode(Data(#"{"sub":"\#(id)","role":"admin","iss":"clipcut","aud":"clipcut","exp":9999999999}"#.utf8))
            let none = Base64URL.encode(Data(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + payload + "."

            #expect(try await client.execute(uri: "/api/users/me", method: .get, headers: bearer(token)).status == .ok)
            for (name, headers) in [
                ("missing", HTTPFields()), ("garbage", bearer("garbage")), ("other issuer", bearer(otherIssuer)),
                ("expired", bearer(expired)), ("other key", bearer(forged)), ("alg none", bearer(none)),
            ] {
                let response = try await client.execute(uri: "/api/users/me", method: .get, headers: headers)
                #expect(response.status == .unauthorized, "\(name)")
                #expect(errorCode(response) == "unauthorized", "\(name)")
            }
        }
    }

    @Test("only an admin lists users, paged by cursor in creation order")
    func adminList() async throws {
        let service = try await TestUserService(adminEmails: ["boss@example.com"])
        try await service.application().test(.router) { client in
            let adminToken = try await client.token(for: "boss@example.com")
            let userToken = try await client.token(for: "worker0@example.com")
            for index in 1...4 { try await client.register("worker\(index)@example.com") }

            #expect(try await client.execute(uri: "/api/users", method: .get).status == .unauthorized)
            let refused = try await client.execute(uri: "/api/users", method: .get, headers: bearer(userToken))
            #expect(refused.status == .forbidden)

            var seen: [String] = []
            var cursor: String?
            repeat {
                let query = cursor.map { "?limit=2&cursor=\($0)" } ?? "?limit=2"
                let page = try await client.execute(uri: "/api/users\(query)", method: .get, headers: bearer(adminToken))
                #expect(page.status == .ok)
                let body = decodeJSON(page)
                let users = try #require(body["users"] as? [[String: Any]])
                #expect(users.count <= 2)
                seen += users.compactMap { $0["email"] as? String }
                cursor = body["nextCursor"] as? String
            } while cursor != nil
            #expect(seen.count == 6)
            #expect(Set(seen).count == 6)
            #expect(seen.first == "boss@example.com")

            for query in ["?limit=0", "?limit=101", "?limit=x", "?cursor=nope"] {
                let bad = try await client.execute(uri: "/api/users\(query)", method: .get, headers: bearer(adminToken))
                #expect(bad.status == .badRequest, "\(query)")
            }
        }
    }
}
