import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import UploadService

@Suite("GET /api/uploads: the caller's unfinished resumable uploads (router, in-memory)")
struct UnfinishedUploadsTests {
    static func listing(_ client: some TestClientProtocol, _ token: String) async throws -> [UnfinishedUploads.Entry] {
        let response = try await client.execute(uri: "/api/uploads", method: .get, headers: bearer(token))
        #expect(response.status == .ok)
        return try JSONCoding.decode(UnfinishedUploads.Listing.self, from: Data(response.body.readableBytesView)).uploads
    }

    @Test("listed with their offset until complete, terminated or expired; never another user's; anonymous is 401")
    func listing() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let owner = try await service.auth.token(for: .random()), other = try await service.auth.token(for: .random())
            let bytes = fakeMP4(300_000)
            // "a.mp4", title "Talk", base64 in Upload-Metadata.
            let created = try await TusRouteTests.create(client, token: owner, length: bytes.count, metadata: "filename YS5tcDQ=,title VGFsaw==")
            let location = try #require(created.headers[.location])
            #expect(try await TusRouteTests.patch(client, location, token: owner, offset: 0, bytes[0..<100_000]).status == .noContent)
            let second = try #require(try await TusRouteTests.create(client, token: owner, length: 5_000).headers[.location])
            _ = try await TusRouteTests.create(client, token: other, length: 7_000)

            let listed = try await Self.listing(client, owner)
            #expect(listed.map(\.location) == [second, location])
            let first = try #require(listed.last)
            #expect(first.filename == "a.mp4" && first.title == "Talk")
            #expect(first.length == 300_000 && first.offset == 100_000)
            #expect(first.expiresAt > Date())
            #expect(first.fingerprint == nil, "created without one")
            #expect(try await Self.listing(client, other).count == 1)

            // Finished: gone from the list. Terminated: gone too.
            #expect(try await TusRouteTests.patch(client, location, token: owner, offset: 100_000, bytes[100_000...]).status == .noContent)
            #expect(try await client.execute(uri: second, method: .delete, headers: TusRouteTests.tusHeaders(owner)).status == .noContent)
            #expect(try await Self.listing(client, owner).isEmpty)
            #expect(try await client.execute(uri: "/api/uploads", method: .get).status == .unauthorized)
        }
    }

    @Test("the file's fingerprint from Upload-Metadata is listed when it is 64 hex digits, else left out")
    func fingerprint() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let owner = try await service.auth.token(for: .random())
            let print = String(repeating: "0123456789abcdef", count: 4)
            for value in [print, "not hex", String(print.dropLast()), print.uppercased()] {
                let encoded = Data(value.utf8).base64EncodedString()
                let created = try await TusRouteTests.create(client, token: owner, length: 1000, metadata: "filename YS5tcDQ=,fingerprint \(encoded)")
                #expect(created.status == .created)
            }
            let listed = try await Self.listing(client, owner)
            #expect(listed.compactMap(\.fingerprint) == [print])
        }
    }
}
