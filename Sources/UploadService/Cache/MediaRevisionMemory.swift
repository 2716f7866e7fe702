import ClipCutCore

/// What one replica remembers of media revisions and whether it may trust it: the state behind
/// ``WatchedMediaRevisions``, driven by what its subscription hears. Pure (times are passed in)
/// so each rule can be tested alone.
///
/// Messages on the channel: `<videoId> <replica>.<n>` for a change (the second part lets its
/// replica recognise its own), `ack <replica>.<n> <replica>` for a replica that heard another's
/// change, `ping <replica> <n>` for a replica proving its subscription.
struct MediaRevisionMemory {
    /// This replica's name on the channel.
    let replica: String
    /// How old the proof of hearing may be for memory to be trusted.
    let staleness: Duration
    /// Videos remembered at most (all forgotten when full).
    let capacity: Int

    /// Revisions read since the last change heard for the video (`nil` value: no revision yet).
    private(set) var known: [VideoID: String?] = [:]
    /// Changes heard, reconnections and local bumps: a read that overlapped one is not remembered.
    private(set) var changes: UInt64 = 0
    private(set) var subscribed = false
    private(set) var subscribedAt: ContinuousClock.Instant?
    /// When the newest of this replica's own pings that came back was sent. Redis delivers a
    /// channel's messages in order, so every change published before then has been heard.
    private(set) var heardUpTo: ContinuousClock.Instant?
    /// Other replicas, by when their last ping was heard.
    private var peers: [String: ContinuousClock.Instant] = [:]
    /// Pings sent and not heard yet, by number.
    private var pings: [UInt64: ContinuousClock.Instant] = [:]
    private var nextNumber: UInt64 = 0

    init(replica: String, staleness: Duration, capacity: Int) {
        self.replica = replica
        self.staleness = staleness
        self.capacity = capacity
    }

    /// What a lookup of `videoId` at `now` gets.
    enum Answer: Equatable {
        /// From memory.
        case remembered(String?)
        /// Ask Redis; remember the answer with ``remember(_:_:mark:)`` if `mark` is set.
        case ask(mark: UInt64?)
    }

    /// Whether memory may be trusted at `now`.
    func trusted(at now: ContinuousClock.Instant) -> Bool {
        guard subscribed, let heardUpTo else { return false }
        return now - heardUpTo < staleness
    }

    func answer(_ videoId: VideoID, at now: ContinuousClock.Instant) -> Answer {
        guard trusted(at: now) else { return .ask(mark: nil) }
        if let value = known[videoId] { return .remembered(value) }
        return .ask(mark: changes)
    }

    /// Remembers what Redis answered, unless a change was heard (or made) since `mark`.
    mutating func remember(_ videoId: VideoID, _ value: String?, mark: UInt64) {
        guard changes == mark, subscribed else { return }
        if known.count >= capacity { known.removeAll() }
        known[videoId] = value
    }

    /// A change this replica is making: forgotten here at once, whatever the channel does.
    mutating func changing(_ videoId: VideoID) {
        known.removeValue(forKey: videoId)
        changes &+= 1
    }

    /// The message announcing a change of `videoId` made here, and its nonce.
    mutating func changeMessage(_ videoId: VideoID) -> (text: String, nonce: String) {
        nextNumber &+= 1
        let nonce = "\(replica).\(nextNumber)"
        return ("\(videoId) \(nonce)", nonce)
    }

    /// The ping to publish now; its sending time is what hearing it will prove.
    mutating func ping(at now: ContinuousClock.Instant) -> String {
        nextNumber &+= 1
        if pings.count >= 64 { pings.removeAll() }  // not coming back: the watchdog reconnects
        pings[nextNumber] = now
        return "ping \(replica) \(nextNumber)"
    }

    /// The subscription was confirmed (again): whatever was published meanwhile is lost.
    mutating func subscribed(at now: ContinuousClock.Instant) {
        forgetAll()
        subscribed = true
        subscribedAt = now
    }

    /// The subscription broke or ended.
    mutating func disconnected() {
        forgetAll()
        subscribed = false
        subscribedAt = nil
    }

    /// The other replicas whose pings were heard within the staleness limit: those that may be
    /// answering from memory, whose acknowledgement a change made here waits for.
    func livePeers(at now: ContinuousClock.Instant) -> Set<String> {
        Set(peers.filter { now - $0.value < staleness }.keys)
    }

    /// What a message means for the watcher.
    enum Heard: Equatable {
        case nothing
        /// A change made here came back (its bump may return once the live peers acknowledged it).
        case ownChange(nonce: String)
        /// Another replica's change, forgotten here: publish `ack` to tell it so.
        case peerChange(ack: String)
        /// A peer heard a change made here.
        case acknowledged(nonce: String, by: String)
    }

    /// A message heard at `now`.
    mutating func heard(_ text: String, at now: ContinuousClock.Instant) -> Heard {
        let parts = text.split(separator: " ")
        if parts.count == 3, parts[0] == "ping" {
            if parts[1] == replica {
                if let number = UInt64(parts[2]), let sent = pings[number] {
                    heardUpTo = max(heardUpTo ?? sent, sent)
                    pings = pings.filter { $0.key > number }
                }
            } else {
                if peers.count >= 1_000 { peers = peers.filter { now - $0.value < staleness } }
                peers[String(parts[1])] = now
            }
            return .nothing
        }
        if parts.count == 3, parts[0] == "ack" {
            return parts[1].hasPrefix(replica + ".") ? .acknowledged(nonce: String(parts[1]), by: String(parts[2])) : .nothing
        }
        changes &+= 1
        guard parts.count == 2, let videoId = VideoID(String(parts[0])) else {
            known.removeAll()  // not a message it can read: forget everything rather than miss a change
            return .nothing
        }
        known.removeValue(forKey: videoId)
        let nonce = String(parts[1])
        return nonce.hasPrefix(replica + ".") ? .ownChange(nonce: nonce) : .peerChange(ack: "ack \(nonce) \(replica)")
    }

    private mutating func forgetAll() {
        known.removeAll()
        changes &+= 1
        heardUpTo = nil
        pings.removeAll()
    }
}
