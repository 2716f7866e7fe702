import Synchronization

/// A one-shot gate: tasks wait until it is opened, and once open it stays open (a wait after
/// ``open()`` returns at once).
///
/// Unlike an ``AsyncSemaphore`` it holds no permits: every waiter goes through when it opens,
/// and it starts closed.
public final class AsyncLatch: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates a closed latch.
    public init() {}

    /// Whether ``open()`` has been called.
    public var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Opens the latch for good, waking every waiter.
    public func open() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard !state.isOpen else { return [] }
            state.isOpen = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiting { waiter.resume() }
    }

    /// Returns once the latch is open. Throws `CancellationError` if the task is cancelled first.
    public func wait() async throws {
        let id: UInt64? = state.withLock { state in
            guard !state.isOpen else { return nil }
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case open, cancelled, queued }
                // Decide and enqueue in one critical section, so an open() in between cannot be missed.
                let outcome = state.withLock { state -> Outcome in
                    if state.isOpen { return .open }
                    if Task.isCancelled { return .cancelled }
                    state.waiters[id] = continuation
                    return .queued
                }
                switch outcome {
                case .open: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
