import HTTPTypes

/// Thrown by ``IdleLimitedSequence`` when no element arrived for `limit`: a client that sends a
/// byte a minute holds a connection, a slot and memory, and is cut off instead.
public struct BodyIdleTimeout: Error, Sendable, Equatable {
    /// The longest wait allowed between two parts of a body.
    public let limit: Duration

    /// Creates the error for `limit`.
    public init(limit: Duration) { self.limit = limit }

    /// 408 `body_timeout` naming the limit; `resume` adds what a resumable client needs.
    public func apiError(message resume: String = "Send it again.", headers: HTTPFields = [:]) -> APIError {
        var headers = headers
        headers[.connection] = "close"
        return APIError(
            .requestTimeout, code: "body_timeout",
            message: "No bytes of the body arrived for \(limit.components.seconds) s. \(resume)", headers: headers)
    }
}

/// An async sequence that passes on its base's elements but throws ``BodyIdleTimeout`` when the
/// next one takes longer than `limit` to arrive. The base iterator is cancelled then, and the
/// sequence is over.
public struct IdleLimitedSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element: Sendable {
    public typealias Element = Base.Element
    let base: Base
    let limit: Duration

    /// Wraps `base`.
    public init(_ base: Base, limit: Duration) {
        self.base = base
        self.limit = limit
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(box: IteratorBox(base.makeAsyncIterator()), limit: limit)
    }

    /// Holds the base iterator while a child task calls `next()` on it.
    /// `@unchecked Sendable`: one `next()` runs at a time, and the caller awaits it.
    final class IteratorBox: @unchecked Sendable {
        var iterator: Base.AsyncIterator
        init(_ iterator: Base.AsyncIterator) { self.iterator = iterator }
    }

    /// Races each `next()` of the base against the limit.
    public struct Iterator: AsyncIteratorProtocol {
        let box: IteratorBox
        let limit: Duration
        var finished = false

        public mutating func next() async throws -> Element? {
            guard !finished else { return nil }
            let box = self.box
            let limit = self.limit
            do {
                let element = try await withThrowingTaskGroup(of: Element?.self) { group in
                    group.addTask { try await box.iterator.next() }
                    group.addTask {
                        try await Task.sleep(for: limit)
                        throw BodyIdleTimeout(limit: limit)
                    }
                    defer { group.cancelAll() }
                    return try await group.next() ?? nil
                }
                if element == nil { finished = true }
                return element
            } catch {
                finished = true
                throw error
            }
        }
    }
}

extension AsyncSequence where Self: Sendable, Element: Sendable {
    /// This sequence, throwing ``BodyIdleTimeout`` when the next element takes longer than `limit`.
    public func idleLimited(_ limit: Duration) -> IdleLimitedSequence<Self> {
        IdleLimitedSequence(self, limit: limit)
    }
}
