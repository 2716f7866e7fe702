import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceSupport
import Synchronization
import Testing

@Suite("A body produced faster than its client reads waits on the connection (ResponsePacing, live server)")
struct ResponsePacingTests {
    static let chunk = 128 << 10
    static let chunks = 512  // 64 MiB

    /// Serves 64 MiB in 128 KiB buffers while the connection's event loop is busy (as under
    /// load, with many connections on it): the loop stays busy until the body has produced every
    /// buffer or `seconds` have passed, and returns how many buffers it saw produced by then,
    /// before it could send any. Paced, the body waits for the loop, so the whole wait passes;
    /// unpaced, it does not, and the wait ends as soon as every buffer is queued (up to a minute:
    /// under the full suite's load on 2 cores, 3 s saw 467 of the 512 queued).
    static func producedWhileLoopBusy(paced: Bool, seconds: Int) async throws -> Int {
        let produced = Mutex(0)
        let seen = Mutex(-1)
        let router = Router(context: ClipCutRequestContext.self)
        router.get("big") { _, context -> Response in
            let pacing = paced ? ResponsePacing(eventLoop: context.eventLoop) : nil
            context.eventLoop.execute {  // other connections' work
                let deadline = ContinuousClock.now + .seconds(seconds)
                while produced.withLock({ $0 }) < chunks && ContinuousClock.now < deadline { usleep(1000) }
                seen.withLock { $0 = produced.withLock { $0 } }
            }
            return Response(status: .ok, body: ResponseBody(contentLength: chunks * chunk) { writer in
                for _ in 0..<chunks {
                    try await writer.write(ByteBuffer(repeating: 7, count: chunk))
                    produced.withLock { $0 += 1 }
                    try await pacing?.settle()
                }
                try await writer.finish(nil)
            })
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let socket = try TestSocket(port: try #require(client.port))
            try socket.send(Array("GET /big HTTP/1.1\r\nHost: test\r\n\r\n".utf8))
            while seen.withLock({ $0 }) < 0 { try await Task.sleep(for: .milliseconds(20)) }
            socket.close()  // the body's next write fails; the server is free to stop
        }
        return seen.withLock { $0 }
    }

    @Test("paced, a body waits for a busy event loop (one buffer in flight); unpaced, it queues the whole file in memory")
    func busyLoop() async throws {
        let paced = try await Self.producedWhileLoopBusy(paced: true, seconds: 3)
        let unpaced = try await Self.producedWhileLoopBusy(paced: false, seconds: 60)
        #expect(paced <= 2, "paced: \(paced) buffers produced while the event loop could send none")
        #expect(unpaced == Self.chunks, "unpaced: \(unpaced) of \(Self.chunks) buffers queued (the behaviour the pacing prevents)")
    }
}
