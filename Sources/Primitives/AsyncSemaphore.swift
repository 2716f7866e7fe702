import Synchronization

/// A counting semaphore whose waiters suspend their task instead of blocking a thread.
///
/// The C-backed clients (Redis, MediaStore) gate their connection pools with it: a
/// caller first waits here, cooperatively, for a permit, and only then hops onto the
/// client's own thread pool where it is guaranteed a connection without blocking.
/// Waiters are served first come, first served; a cancelled waiter leaves the queue
/// and throws `CancellationError`.
public final class AsyncSemaphore: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var permits: Int
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Creates a semaphore holding `permits` permits (at least one).
    public init(permits: Int) {
        self.state = Mutex(State(permits: max(1, permits)))
    }

    /// Permits not taken right now (for metrics and tests).
    public var availablePermits: Int {
        state.withLock { $0.permits }
    }

    /// Waits for a permit. Throws `CancellationError` if the task is cancelled while waiting.
    public func acquire() async throws {
        let id: UInt64? = state.withLock { state in
            if state.permits > 0 && state.waiters.isEmpty {
                state.permits -= 1
                return nil
            }
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case acquired, cancelled, queued }
                // Decide and enqueue in one critical section, so a release() between
                // the fast path above and here cannot leave a permit unclaimed.
                let outcome = state.withLock { state -> Outcome in
                    if Task.isCancelled { return .cancelled }
                    if state.permits > 0 && state.waiters.isEmpty {
                        state.permits -= 1
                        return .acquired
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch outcome {
                case .acquired: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns a permit, waking the longest waiter if there is one.
    public func release() {
        let waiter = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.permits += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume()
    }

    /// Runs `body` holding a permit, releasing it however `body` ends.
    public func withPermit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }
}
