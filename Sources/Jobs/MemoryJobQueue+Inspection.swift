import ClipCutCore
import Primitives
import Foundation

extension MemoryJobQueue: JobQueueInspector {
    public func running() async throws -> [RunningJob] {
        let now = (wall: Date(), clock: ContinuousClock.now)
        return store.state.withLock { state in
            state.pendingOrder.compactMap { id in state.pending[id] }.prefix(100).map { pending in
                RunningJob(
                    videoId: pending.job.job?.payload.videoId, owner: pending.job.job?.payload.owner.description ?? "-",
                    worker: pending.consumer, since: now.wall.addingTimeInterval(-(now.clock - pending.started).seconds))
            }
        }
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetterEntry] {
        store.state.withLock { $0.dead.reversed().prefix(max(1, limit)).map(Self.entry) }
    }

    public func deadLetter(id: String) async throws -> DeadLetterEntry? {
        store.state.withLock { $0.dead.first { $0.id == id }.map(Self.entry) }
    }

    public func removeDeadLetter(id: String) async throws -> Bool {
        store.state.withLock { state in
            guard let index = state.dead.firstIndex(where: { $0.id == id }) else { return false }
            state.dead.remove(at: index)
            return true
        }
    }

    static func entry(_ dead: Store.DeadLetter) -> DeadLetterEntry {
        DeadLetterEntry(id: dead.id, job: DeadLetterEntry.job(from: dead.raw), reason: dead.reason, attempts: dead.attempts, at: dead.at)
    }
}
