import Foundation

extension Process {
    /// Waits until the process has exited, on a Dispatch thread: a graceful shutdown can take
    /// seconds, and `waitUntilExit()` would hold one of the cooperative pool's two threads.
    func exited() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.waitUntilExit()
                done.resume()
            }
        }
    }
}
