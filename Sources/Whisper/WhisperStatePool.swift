import CWhisper
import Synchronization

/// Reuses `whisper_state`s between jobs: a state holds ~100 MB of compute buffers, and
/// allocating and freeing one per job fragments the heap until the peak RSS grows with every
/// job. At most one state per concurrent job exists; each is used by one job at a time.
///
/// `@unchecked Sendable`: the states are plain pointers handed out under the lock to exactly
/// one job at a time and returned after; they are freed only in `deinit`.
final class WhisperStatePool: @unchecked Sendable {
    /// A state pointer moved between jobs under the lock (see the type's note).
    private struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private let model: WhisperModel
    private let idle = Mutex<[Handle]>([])

    init(model: WhisperModel) {
        self.model = model
    }

    deinit {
        for state in idle.withLock({ $0 }) { whisper_free_state(state.pointer) }
    }

    /// Runs `body` with a state of its own. Blocking (called on the transcriber's threads).
    func withState<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        let reused = idle.withLock { $0.popLast()?.pointer }
        guard let state = reused ?? whisper_init_state(model.context) else { throw WhisperError.inferenceFailed(-1) }
        let handle = Handle(pointer: state)
        defer { idle.withLock { $0.append(handle) } }
        return try body(state)
    }
}
