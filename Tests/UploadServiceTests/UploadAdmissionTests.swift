import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MediaStore
import Testing

@testable import UploadService

/// Upload bodies are admitted per user and per replica, and cut off when they stall; the rest of
/// the service keeps answering meanwhile. Against a live server, with real sockets that stop
/// sending halfway.
@Suite("Upload admission and stalled bodies", .serialized)
struct UploadAdmissionTests {
    static let limits = [
        ConfigKey.uploadsPerUser.name: "2", ConfigKey.uploadsPerReplica.name: "3", ConfigKey.uploadIdleSeconds.name: "2",
    ]

    /// Opens a direct upload of `declared` bytes and sends only its first `sent` bytes.
    static func stalledUpload(port: Int, token: String, declared: Int = 2_000_000, sent: Int = 300_000) throws -> TestSocket {
        let socket = try TestSocket(port: port)
        try socket.send(Array((
            "POST /api/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: video/mp4\r\nContent-Length: \(declared)\r\n\r\n").utf8))
        try socket.send(Array(fakeMP4(declared)[0..<sent]))
        return socket
    }

    static func eventually(_ seconds: Int = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<(seconds * 20) {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The bounds without the idle limit: on a loaded machine setting up three stalled bodies can
    /// take longer than any short idle limit, which would free their slots before the checks.
    static let boundsOnly = [
        ConfigKey.uploadsPerUser.name: "2", ConfigKey.uploadsPerReplica.name: "3", ConfigKey.uploadIdleSeconds.name: "600",
    ]

    @Test("beyond the per-user and per-replica bounds uploads get 429 with Retry-After; listing answers throughout; a client that goes away frees its slot and leaves nothing")
    func admissionBounds() async throws {
        try await LiveUploadService.run(settings: Self.boundsOnly) { service, client in
            let port = try #require(client.port)
            let (alice, bob, carol) = (UserID.random(), UserID.random(), UserID.random())
            let tokens = (
                alice: try await service.auth.token(for: alice), bob: try await service.auth.token(for: bob),
                carol: try await service.auth.token(for: carol))
            let slots = service.dependencies.admission.slots
            var stalled = [try Self.stalledUpload(port: port, token: tokens.alice), try Self.stalledUpload(port: port, token: tokens.alice)]
            #expect(try await Self.eventually(60) { slots.count(alice) == 2 })

            let third = try await client.uploadRaw(fakeMP4(10_000), token: tokens.alice)
            #expect(third.status == .tooManyRequests && errorCode(third) == "too_many_uploads")
            #expect(third.headers[.retryAfter] == "10")

            stalled.append(try Self.stalledUpload(port: port, token: tokens.bob))
            #expect(try await Self.eventually(60) { slots.inUse == 3 })
            let full = try await client.uploadRaw(fakeMP4(10_000), token: tokens.carol)
            #expect(full.status == .tooManyRequests && errorCode(full) == "too_many_uploads")
            #expect(full.headers[.retryAfter] == "5")

            // The replica still answers everything else while three bodies hang.
            let listing = try await client.execute(uri: "/api/videos", method: .get, headers: bearer(tokens.carol))
            #expect(listing.status == .ok)

            for socket in stalled { socket.close() }
            #expect(try await Self.eventually(60) { slots.inUse == 0 })
            try await Self.expectNoSourceLeft(service)
            let after = try await client.uploadRaw(fakeMP4(10_000), token: tokens.alice)
            #expect(after.status == .created)
        }
    }

    @Test("a body that stops sending gets 408 after the idle limit, its slot is free and nothing of it is left")
    func stalledBodyCutOff() async throws {
        try await LiveUploadService.run(settings: Self.limits) { service, client in
            let port = try #require(client.port)
            let alice = UserID.random()
            let token = try await service.auth.token(for: alice)
            let slots = service.dependencies.admission.slots
            let socket = try Self.stalledUpload(port: port, token: token)
            // After 2 s without a byte the stalled body is answered 408 and its slot is free.
            let answer = await socket.response()
            socket.close()
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
            #expect(answer.contains("\"body_timeout\""))
            #expect(try await Self.eventually(60) { slots.inUse == 0 })
            try await Self.expectNoSourceLeft(service)
            let after = try await client.uploadRaw(fakeMP4(10_000), token: token)
            #expect(after.status == .created)
        }
    }

    static func expectNoSourceLeft(_ service: LiveUploadService) async throws {
        let sources = service.store.bucket(MediaLayout.sourceBucket)
        #expect(try await sources.find().isEmpty, "no source of a cut-off upload is left")
        #expect(try await service.store.collection("\(MediaLayout.sourceBucket).chunks").count() == 0, "nor any chunk")
    }

    @Test("a tus PATCH that stalls gets 408 with the stored offset; the upload resumes from there and completes")
    func stalledTusPatchResumes() async throws {
        // 10 s: a shorter idle limit could also cut off a body whose next bytes a loaded machine
        // was slow to take in, not only the one that stopped sending.
        let settings = Self.limits.merging([ConfigKey.uploadIdleSeconds.name: "10"]) { $1 }
        try await LiveUploadService.run(settings: settings) { service, client in
            let port = try #require(client.port)
            let token = try await service.auth.token(for: .random())
            let bytes = fakeMP4(1_000_000)
            let created = try await TusRouteTests.create(client, token: token, length: bytes.count)
            #expect(created.status == .created)
            let path = try #require(created.headers[.location])

            let socket = try TestSocket(port: port)
            try socket.send(Array((
                "PATCH \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nTus-Resumable: 1.0.0\r\n"
                + "Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: \(bytes.count)\r\n\r\n").utf8))
            try socket.send(Array(bytes[0..<400_000]))
            let answer = await socket.response()
            socket.close()
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
            #expect(answer.contains("\"body_timeout\""))
            let offsetLine = answer.split(separator: "\r\n").first { $0.lowercased().hasPrefix("upload-offset:") }
            let offset = try #require(offsetLine.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) })
            #expect(offset == 400_000, "every byte received before the stall is kept")

            let head = try await client.execute(uri: path, method: .head, headers: TusRouteTests.tusHeaders(token))
            #expect(head.headers[.testUploadOffset] == String(offset))
            let rest = try await TusRouteTests.patch(client, path, token: token, offset: offset, bytes[offset...])
            #expect(rest.status == .noContent)
            #expect(rest.headers[.testUploadOffset] == String(bytes.count))
        }
    }
}
