import Primitives
import Synchronization
import Testing

/// How many waiters got through.
private final class Passed: Sendable {
    let count = Mutex(0)
}

@Suite("AsyncLatch: a gate that starts closed and, once open, lets every waiter through")
struct AsyncLatchTests {
    @Test("a waiter is held until open(); every waiter goes through; a wait after open() returns at once")
    func holdsUntilOpen() async throws {
        let latch = AsyncLatch()
        let passed = Passed()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await latch.wait()
                    passed.count.withLock { $0 += 1 }
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(passed.count.withLock { $0 } == 0, "a waiter passed a closed latch")
            #expect(!latch.isOpen)
            latch.open()
            try await group.waitForAll()
        }
        #expect(passed.count.withLock { $0 } == 3)
        try await latch.wait()
        latch.open()  // a second open changes nothing
        #expect(latch.isOpen)
    }

    @Test("a cancelled waiter throws CancellationError and the latch stays closed")
    func cancelledWaiter() async throws {
        let latch = AsyncLatch()
        let waiter = Task { try await latch.wait() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(!latch.isOpen)
    }
}
