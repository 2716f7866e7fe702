import Synchronization

/// A flag set once, read from any thread (a child process's kill and timeout).
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
