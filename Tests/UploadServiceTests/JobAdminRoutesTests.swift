import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import ServiceSupport
import Testing

@testable import UploadService

@Suite("Administrators retry or discard dead-lettered jobs, re-run captions, see storage by owner (router, in-memory)")
struct JobAdminRoutesTests {
    /// A video of `owner` whose job failed every attempt: `failed` in the repository, its job in
    /// the dead letters.
    static func deadLetteredVideo(_ service: TestUploadService, _ client: some TestClientProtocol, owner token: String) async throws -> (VideoID, String) {
        let videoId = try await client.uploadVideo(fakeMP4(40_000), token: token)
        guard var video = try await service.repository.record(id: videoId)?.video else { throw CancellationError() }
        try video.transition(to: .failed, failureReason: "ffmpeg failed. (after 3 attempts)")
        #expect(try await service.repository.updateProcessing(video, expectedStatus: .uploaded))
        let queue = MemoryJobQueue(store: service.jobStore, consumer: "worker-a", claimIdle: .seconds(60))
        try await queue.enqueue(TranscodeJob(videoId: videoId, owner: video.owner, attempt: 3))
        let claimed = try #require(try await queue.claimNext(wait: .seconds(1)))
        try await queue.deadLetter(claimed, reason: "ffmpeg failed. (after 3 attempts)", attempts: 3)
        let id = try #require(service.jobStore.deadLetters.last?.id)
        return (videoId, id)
    }

    /// A user's token and an administrator's (one the accounts confirm).
    static func tokens(_ service: TestUploadService) async throws -> (user: String, admin: String) {
        let admin = UserID.random()
        service.admins.set(admin, admin: true)
        return (try await service.auth.token(for: .random()), try await service.auth.token(for: admin, role: .admin))
    }

    static func deadLetters(_ client: some TestClientProtocol, _ token: String) async throws -> [JobAdminRoutes.DeadLetter] {
        let response = try await client.execute(uri: "/api/jobs/dead", method: .get, headers: bearer(token))
        #expect(response.status == .ok)
        return try JSONCoding.decode(JobAdminRoutes.DeadLetters.self, from: Data(response.body.readableBytesView)).deadLetters
    }

    @Test("retry: the video goes back to uploaded, a new job with attempts reset and video.retried go out, the dead letter goes; a second retry is 404")
    func retry() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let (owner, adminToken) = try await Self.tokens(service)
            let (videoId, id) = try await Self.deadLetteredVideo(service, client, owner: owner)
            let listed = try await Self.deadLetters(client, adminToken)
            #expect(listed.map(\.id) == [id])
            #expect(listed.first?.videoId == videoId)
            #expect(listed.first?.attempts == 3)
            #expect(listed.first?.reason == "ffmpeg failed. (after 3 attempts)")
            #expect(listed.first?.videoStatus == .failed)

            let jobsBefore = service.publisher.messages(on: RedisNames.jobsStream).count
            let retried = try await client.execute(uri: "/api/jobs/dead/\(id)/retry", method: .post, headers: bearer(adminToken))
            #expect(retried.status == .accepted)
            let video = try #require(try await service.repository.record(id: videoId)?.video)
            #expect(video.status == .uploaded)
            #expect(video.failureReason == nil)
            let jobs = service.publisher.messages(on: RedisNames.jobsStream)
            #expect(jobs.count == jobsBefore + 1)
            guard case .transcodeRequested(let job)? = jobs.last else { Issue.record("no job queued"); return }
            #expect(job.payload.videoId == videoId)
            #expect(job.payload.attempt == nil)  // attempts start again at 1
            let retriedEvents = service.publisher.messages(on: RedisNames.eventsStream).filter { $0.type == .videoRetried }
            #expect(retriedEvents.count == 1)
            #expect(try await Self.deadLetters(client, adminToken).isEmpty)
            let again = try await client.execute(uri: "/api/jobs/dead/\(id)/retry", method: .post, headers: bearer(adminToken))
            #expect(again.status == .notFound)
            #expect(errorCode(again) == "not_found")
        }
    }

    @Test("discard: the dead letter goes, the video stays failed with its reason; a deleted video's dead letter cannot be retried")
    func discard() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let (owner, adminToken) = try await Self.tokens(service)
            let (videoId, id) = try await Self.deadLetteredVideo(service, client, owner: owner)
            let discarded = try await client.execute(uri: "/api/jobs/dead/\(id)", method: .delete, headers: bearer(adminToken))
            #expect(discarded.status == .noContent)
            let video = try #require(try await service.repository.record(id: videoId)?.video)
            #expect(video.status == .failed)
            #expect(video.failureReason == "ffmpeg failed. (after 3 attempts)")
            #expect(try await Self.deadLetters(client, adminToken).isEmpty)
            #expect(try await client.execute(uri: "/api/jobs/dead/\(id)", method: .delete, headers: bearer(adminToken)).status == .notFound)

            let (gone, goneID) = try await Self.deadLetteredVideo(service, client, owner: owner)
            #expect(try await client.execute(uri: "/api/videos/\(gone)", method: .delete, headers: bearer(owner)).status == .noContent)
            #expect(try await Self.deadLetters(client, adminToken).first?.videoStatus == nil)
            let retried = try await client.execute(uri: "/api/jobs/dead/\(goneID)/retry", method: .post, headers: bearer(adminToken))
            #expect(retried.status == .conflict)
            #expect(errorCode(retried) == "video_gone")
            for bad in ["abc", "1-2-3", "-1", "99999999999999999999999-0"] {
                let response = try await client.execute(uri: "/api/jobs/dead/\(bad)", method: .delete, headers: bearer(adminToken))
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test("captions re-run: a ready video's captions are pending and scheduled at once; not ready or owner-edited is 409")
    func rerunCaptions() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let (owner, adminToken) = try await Self.tokens(service)
            let videoId = try await client.uploadVideo(fakeMP4(40_000), token: owner)
            let early = try await client.execute(uri: "/api/videos/\(videoId)/captions/rerun", method: .post, headers: bearer(adminToken))
            #expect(early.status == .conflict)
            #expect(errorCode(early) == "not_ready")
            guard var video = try await service.repository.record(id: videoId)?.video else { throw CancellationError() }
            for next in [VideoStatus.transcribing, .transcoding, .ready] { try video.transition(to: next) }
            #expect(try await service.repository.updateProcessing(video, expectedStatus: .uploaded))
            let rerun = try await client.execute(uri: "/api/videos/\(videoId)/captions/rerun", method: .post, headers: bearer(adminToken))
            #expect(rerun.status == .accepted)
            #expect(service.captionRetries.scheduled.map(\.videoId) == [videoId])
            let pending = service.publisher.messages(on: RedisNames.eventsStream).compactMap { event -> CaptionState? in
                if case .videoCaptions(let e) = event, e.payload.videoId == videoId { e.payload.state } else { nil }
            }
            #expect(pending == [.pending])

            video.captionEdited = true
            #expect(try await service.repository.updateProcessing(video, expectedStatus: .ready))
            let edited = try await client.execute(uri: "/api/videos/\(videoId)/captions/rerun", method: .post, headers: bearer(adminToken))
            #expect(errorCode(edited) == "captions_edited")
            let unknown = try await client.execute(uri: "/api/videos/\(VideoID.random())/captions/rerun", method: .post, headers: bearer(adminToken))
            #expect(unknown.status == .notFound)
        }
    }

    @Test("storage by owner: each owner's bytes and videos, with the quota")
    func usageByOwner() async throws {
        let service = try TestUploadService(quotaBytes: 10_000_000)
        let admin = UserID.random()
        service.admins.set(admin, admin: true)
        try await service.application().test(.router) { client in
            let (a, b) = (UserID.random(), UserID.random())
            let (tokenA, tokenB) = (try await service.auth.token(for: a), try await service.auth.token(for: b))
            _ = try await client.uploadVideo(fakeMP4(300_000), token: tokenA)
            _ = try await client.uploadVideo(fakeMP4(200_000), token: tokenA)
            _ = try await client.uploadVideo(fakeMP4(50_000), token: tokenB)
            let response = try await client.execute(uri: "/api/videos/usage/owners", method: .get, headers: bearer(try await service.auth.token(for: admin, role: .admin)))
            #expect(response.status == .ok)
            let usage = try JSONCoding.decode(JobAdminRoutes.UsageByOwner.self, from: Data(response.body.readableBytesView))
            #expect(usage.quotaBytes == 10_000_000)
            #expect(usage.owners == [.init(owner: a, storedBytes: 500_000, videos: 2), .init(owner: b, storedBytes: 50_000, videos: 1)])
        }
    }

    @Test("every admin route: 401 without a token, 403 for a user, 403 for a token claiming admin that the accounts deny")
    func onlyAdmins() async throws {
        let service = try TestUploadService()
        try await service.application().test(.router) { client in
            let user = try await service.auth.token(for: .random())
            let demoted = try await service.auth.token(for: .random(), role: .admin)  // not in KnownAdmins
            let video = VideoID.random()
            let routes: [(String, HTTPRequest.Method)] = [
                ("/api/jobs/dead", .get), ("/api/jobs/dead/1-0/retry", .post), ("/api/jobs/dead/1-0", .delete),
                ("/api/videos/\(video)/captions/rerun", .post), ("/api/videos/usage/owners", .get),
            ]
            for (uri, method) in routes {
                #expect(try await client.execute(uri: uri, method: method).status == .unauthorized, "\(method) \(uri)")
                #expect(try await client.execute(uri: uri, method: method, headers: bearer(user)).status == .forbidden, "\(method) \(uri)")
                #expect(try await client.execute(uri: uri, method: method, headers: bearer(demoted)).status == .forbidden, "\(method) \(uri)")
            }
        }
    }
}
