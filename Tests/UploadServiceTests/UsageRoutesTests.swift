import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import UploadService

@Suite("GET /api/videos/usage: the caller's storage against the quota (router, in-memory)")
struct UsageRoutesTests {
    static func usage(_ client: some TestClientProtocol, _ token: String) async throws -> StorageUsage {
        let response = try await client.execute(uri: "/api/videos/usage", method: .get, headers: bearer(token))
        #expect(response.status == .ok)
        return try JSONCoding.decode(StorageUsage.self, from: Data(response.body.readableBytesView))
    }

    @Test("stored sources and unfinished tus uploads count; other users' do not; anonymous is 401")
    func usage() async throws {
        let service = try TestUploadService(quotaBytes: 10_000_000, maximumUploadBytes: 4_000_000)
        try await service.application().test(.router) { client in
            let (owner, other) = (try await service.auth.token(for: .random()), try await service.auth.token(for: .random()))
            #expect(try await Self.usage(client, owner) == .init(
                storedBytes: 0, reservedBytes: 0, quotaBytes: 10_000_000, maximumUploadBytes: 4_000_000))
            _ = try await client.uploadVideo(fakeMP4(300_000), token: owner)
            _ = try await client.uploadVideo(fakeMP4(200_000), token: owner)
            let created = try await TusRouteTests.create(client, token: owner, length: 1_000_000)
            #expect(created.status == .created)
            _ = try await client.uploadVideo(fakeMP4(50_000), token: other)
            #expect(try await Self.usage(client, owner) == .init(
                storedBytes: 500_000, reservedBytes: 1_000_000, quotaBytes: 10_000_000, maximumUploadBytes: 4_000_000))
            #expect(try await Self.usage(client, owner).availableBytes == 8_500_000)
            #expect(try await Self.usage(client, other).storedBytes == 50_000)
            let anonymous = try await client.execute(uri: "/api/videos/usage", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }
}
