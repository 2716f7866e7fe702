import ClipCutCore
import Testing

@testable import UploadService

/// The rules behind ``WatchedMediaRevisions``, with the times given: when memory is trusted,
/// what is remembered, what a message makes it forget.
@Suite("Media revision memory: trusted only while its own pings come back")
struct MediaRevisionMemoryTests {
    static let start = ContinuousClock.now

    /// A subscribed memory whose first ping, sent at `start`, came back.
    static func listening() -> MediaRevisionMemory {
        var memory = MediaRevisionMemory(replica: "a", staleness: .seconds(1), capacity: 3)
        memory.subscribed(at: start)
        let ping = memory.ping(at: start)
        _ = memory.heard(ping, at: start)
        return memory
    }

    @Test("not trusted before the subscription, nor before its own ping comes back; then for the staleness limit after that ping was sent")
    func trust() {
        var memory = MediaRevisionMemory(replica: "a", staleness: .seconds(1), capacity: 3)
        let video = VideoID.random()
        #expect(memory.answer(video, at: Self.start) == .ask(mark: nil))
        memory.subscribed(at: Self.start)
        let ping = memory.ping(at: Self.start + .milliseconds(100))
        #expect(!memory.trusted(at: Self.start + .milliseconds(200)), "subscribed, but nothing of its own heard yet")
        _ = memory.heard("ping b 1", at: Self.start)  // another replica's ping proves nothing about this subscription
        #expect(!memory.trusted(at: Self.start + .milliseconds(200)))
        _ = memory.heard(ping, at: Self.start)
        #expect(memory.trusted(at: Self.start + .milliseconds(1099)))
        #expect(!memory.trusted(at: Self.start + .milliseconds(1100)), "a ping sent 1 s ago is the newest proof")
        // A later ping heard first makes an earlier one worthless; heard late, the proof is its sending time.
        let early = memory.ping(at: Self.start + .milliseconds(500))
        let late = memory.ping(at: Self.start + .milliseconds(900))
        _ = memory.heard(late, at: Self.start)
        _ = memory.heard(early, at: Self.start)
        #expect(memory.heardUpTo == Self.start + .milliseconds(900))
        #expect(memory.trusted(at: Self.start + .milliseconds(1899)) && !memory.trusted(at: Self.start + .milliseconds(1900)))
    }

    @Test("an answer is remembered only if no change was heard or made while Redis was asked")
    func remembering() {
        var memory = Self.listening()
        let (video, other) = (VideoID.random(), VideoID.random())
        guard case .ask(let mark?) = memory.answer(video, at: Self.start) else {
            Issue.record("a trusted memory asks with a mark")
            return
        }
        _ = memory.heard("\(other) b.1", at: Self.start)  // a change elsewhere while the GET was out
        memory.remember(video, "4", mark: mark)
        #expect(memory.answer(video, at: Self.start) == .ask(mark: mark + 1))
        memory.remember(video, "4", mark: mark + 1)
        #expect(memory.answer(video, at: Self.start) == .remembered("4"))
        memory.remember(other, nil, mark: mark + 1)
        #expect(memory.answer(other, at: Self.start) == .remembered(nil), "no revision yet is remembered too")
        // Changes: heard from another replica, made here, or unreadable.
        #expect(memory.heard("\(video) b.2", at: Self.start) == .peerChange(ack: "ack b.2 a"))
        #expect(memory.answer(video, at: Self.start) == .ask(mark: mark + 2))
        #expect(memory.answer(other, at: Self.start) == .remembered(nil), "only the changed video is forgotten")
        memory.changing(other)
        #expect(memory.answer(other, at: Self.start) == .ask(mark: mark + 3))
        memory.remember(video, "5", mark: mark + 3)
        #expect(memory.heard("garbage", at: Self.start) == .nothing)
        #expect(memory.answer(video, at: Self.start) == .ask(mark: mark + 4), "a message it cannot read forgets everything")
        // Bounded: full, it starts again.
        for _ in 0..<4 { memory.remember(.random(), "1", mark: mark + 4) }
        #expect(memory.known.count == 1)
    }

    @Test("a disconnection forgets everything and stops trusting; a new subscription trusts again only once its own ping returns")
    func reconnection() {
        var memory = Self.listening()
        let video = VideoID.random()
        guard case .ask(let mark?) = memory.answer(video, at: Self.start) else {
            Issue.record("a trusted memory asks with a mark")
            return
        }
        memory.remember(video, "9", mark: mark)
        let lost = memory.ping(at: Self.start + .milliseconds(10))
        memory.disconnected()
        #expect(memory.answer(video, at: Self.start) == .ask(mark: nil))
        memory.subscribed(at: Self.start + .milliseconds(20))
        _ = memory.heard(lost, at: Self.start)  // sent before this subscription: it proves nothing about it
        #expect(!memory.trusted(at: Self.start + .milliseconds(30)))
        let ping = memory.ping(at: Self.start + .milliseconds(30))
        _ = memory.heard(ping, at: Self.start)
        #expect(memory.trusted(at: Self.start + .milliseconds(40)))
        #expect(memory.answer(video, at: Self.start + .milliseconds(40)) == .ask(mark: mark + 2))
        let change = memory.changeMessage(video)
        #expect(change.text == "\(video) \(change.nonce)" && change.nonce.hasPrefix("a."))
    }

    @Test("its own changes come back as its own; acknowledgements of them name the peer; the live peers are those whose pings were heard lately")
    func peersAndAcknowledgements() {
        var memory = Self.listening()
        let video = VideoID.random()
        #expect(memory.livePeers(at: Self.start).isEmpty)
        _ = memory.heard("ping b 7", at: Self.start)
        _ = memory.heard("ping c 2", at: Self.start + .milliseconds(600))
        #expect(memory.livePeers(at: Self.start + .milliseconds(900)) == ["b", "c"])
        #expect(memory.livePeers(at: Self.start + .milliseconds(1000)) == ["c"], "b's last ping is a second old")
        let change = memory.changeMessage(video)
        #expect(memory.heard(change.text, at: Self.start) == .ownChange(nonce: change.nonce))
        #expect(memory.heard("ack \(change.nonce) b", at: Self.start) == .acknowledged(nonce: change.nonce, by: "b"))
        guard case .ask(let mark?) = memory.answer(video, at: Self.start) else {
            Issue.record("a trusted memory asks with a mark")
            return
        }
        #expect(memory.heard("ack b.3 c", at: Self.start) == .nothing, "another replica's acknowledgement")
        memory.remember(video, "2", mark: mark)
        #expect(memory.answer(video, at: Self.start) == .remembered("2"), "acknowledgements are not changes")
    }
}
