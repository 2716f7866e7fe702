import NIOCore

/// Keeps a response body that is produced faster than the client reads it (a file from the page
/// cache) from running ahead of its connection.
///
/// A body writer's `write` returns once the buffer is handed to the connection's event loop, and
/// the writer waits only while the channel says it is not writable, which the event loop notices
/// after it has processed the writes queued so far. A producer on another thread can queue a
/// whole file before that happens: with 200 viewers, upload-service held a response's worth per
/// viewer (scripts/bench playback). Waiting after each write until the event loop has run
/// everything queued before (its tasks run in order) lets the channel's writability, and so the
/// writer, hold the producer back: about one buffer in flight per connection.
public struct ResponsePacing: Sendable {
    let eventLoop: any EventLoop

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Returns once the event loop has processed what was queued before this call.
    public func settle() async throws {
        try await eventLoop.submit {}.get()
    }
}
