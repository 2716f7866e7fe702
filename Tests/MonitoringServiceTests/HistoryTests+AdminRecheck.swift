import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MonitoringService

/// An administrator's token keeps its `role` claim after the account was demoted; the routes that
/// serve other users' data ask the accounts (``AdminRoleCheck``) instead of trusting the claim.
/// (In ``HistoryTests``: that suite's Redis database, one test at a time.)
extension HistoryTests {
    @Test("a demoted administrator's token, still claiming admin, gets 403 on stats and others' history, 404 on others' uploads")
    func demotedAdminIsRefused() async throws {
        try await MonitoringFixture.run { fixture in
            let owner = UserID.random(), id = VideoID.random()
            for message in MonitoringFixture.lifecycle(id, owner: owner, title: "theirs", start: Date(timeIntervalSince1970: 1_800_000_000)) {
                try await fixture.publish(message)
            }
            let running = Task { try await fixture.projector().run() }
            defer { running.cancel() }
            #expect(try await MonitoringFixture.eventually(60) { try await fixture.store.upload(id)?.status == "ready" })
            try await fixture.application().test(.router) { client in
                let adminID = UserID.random()
                let admin = try await fixture.token(for: adminID, role: .admin)
                #expect(try await client.execute(uri: "/api/stats", method: .get, headers: bearer(admin)).status == .ok)
                #expect(try await client.execute(uri: "/api/history?owner=\(owner)", method: .get, headers: bearer(admin)).status == .ok)
                #expect(try await client.execute(uri: "/api/history/\(id)", method: .get, headers: bearer(admin)).status == .ok)

                fixture.admins.set(adminID, admin: false)  // demoted in the accounts; the token still says admin
                #expect(try await client.execute(uri: "/api/stats", method: .get, headers: bearer(admin)).status == .forbidden)
                #expect(try await client.execute(uri: "/api/history?owner=\(owner)", method: .get, headers: bearer(admin)).status == .forbidden)
                #expect(try await client.execute(uri: "/api/history/\(id)", method: .get, headers: bearer(admin)).status == .notFound)
                // Their own history still works.
                #expect(try await client.execute(uri: "/api/history", method: .get, headers: bearer(admin)).status == .ok)
            }
        }
    }
}
