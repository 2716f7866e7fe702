import Logging
import Synchronization

/// One dependency `/ready` waits for: a database, Redis, a loaded model.
///
/// `check()` returns when the dependency answers and throws when it does not. It should be cheap
/// (a PING, a `SELECT 1`); the readiness endpoint gives it a short timeout and runs all checks
/// at once.
public protocol ReadinessCheck: Sendable {
    /// Short name shown in the `/ready` body, e.g. `"redis"`.
    var name: String { get }
    /// Returns if the dependency is usable, throws if not.
    func check() async throws
}

/// A ``ReadinessCheck`` made from a closure.
///
/// ```swift
/// ReadinessProbe(name: "redis") { try await redis.ping() }
/// ```
public struct ReadinessProbe: ReadinessCheck {
    /// Short name shown in the `/ready` body.
    public let name: String
    private let body: @Sendable () async throws -> Void

    /// Creates a probe named `name` that runs `body`.
    public init(name: String, _ body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.body = body
    }

    /// Runs the closure.
    public func check() async throws {
        try await body()
    }
}

/// The outcome of one readiness check.
public enum ReadinessState: String, Codable, Sendable {
    /// The check returned in time.
    case ok
    /// The check threw.
    case failed
    /// The check did not return within the timeout.
    case timeout
}

/// The outcome of every check, as `/ready` reports it.
public struct ReadinessReport: Codable, Sendable, Equatable {
    /// One check's name and state.
    public struct CheckResult: Codable, Sendable, Equatable {
        /// The check's name.
        public var name: String
        /// How it went.
        public var state: ReadinessState

        /// Creates a result.
        public init(name: String, state: ReadinessState) {
            self.name = name
            self.state = state
        }
    }

    /// `"ready"` when every check passed, else `"not_ready"`.
    public var status: String
    /// Each check, in registration order.
    public var checks: [CheckResult]

    /// Creates a report; `status` follows from `checks`.
    public init(checks: [CheckResult]) {
        self.checks = checks
        self.status = checks.allSatisfy { $0.state == .ok } ? "ready" : "not_ready"
    }

    /// Whether every check passed.
    public var isReady: Bool { checks.allSatisfy { $0.state == .ok } }
}

/// Runs readiness checks concurrently, each bounded by a timeout.
public struct ReadinessEvaluator: Sendable {
    /// The checks, reported in this order.
    public let checks: [any ReadinessCheck]
    /// How long each check may take.
    public let timeout: Duration

    /// Creates an evaluator over `checks` with a per-check `timeout` (default 2 s).
    public init(checks: [any ReadinessCheck], timeout: Duration = .seconds(2)) {
        self.checks = checks
        self.timeout = timeout
    }

    /// Runs every check at once and reports. A failing check's error is logged through `logger`
    /// (at warning level); it never appears in the report.
    ///
    /// Returns within about `timeout` even when a check ignores cancellation: a check that
    /// overruns is reported as ``ReadinessState/timeout``, cancelled and left to finish on its own.
    public func evaluate(logger: Logger) async -> ReadinessReport {
        let states = await withTaskGroup(of: (Int, ReadinessState).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask {
                    let state = await Self.run(check, timeout: timeout, logger: logger)
                    return (index, state)
                }
            }
            var states = Array(repeating: ReadinessState.timeout, count: checks.count)
            for await (index, state) in group {
                states[index] = state
            }
            return states
        }
        return ReadinessReport(
            checks: zip(checks, states).map { ReadinessReport.CheckResult(name: $0.name, state: $1) })
    }

    /// Runs one check in an unstructured task and races it against the timeout, so a check that
    /// does not honour cancellation cannot hold the caller past the timeout.
    private static func run(_ check: any ReadinessCheck, timeout: Duration, logger: Logger) async -> ReadinessState {
        let race = CheckRace()
        return await withCheckedContinuation { (continuation: CheckedContinuation<ReadinessState, Never>) in
            race.install(continuation)
            let timer = Task {
                try await Task.sleep(for: timeout)
                if race.finish(.timeout) {
                    logger.warning("readiness check timed out", metadata: ["check": .string(check.name)])
                }
                race.cancelWork()
            }
            race.setWork(
                Task {
                    do {
                        try await check.check()
                        race.finish(.ok)
                    } catch {
                        logger.warning(
                            "readiness check failed",
                            metadata: ["check": .string(check.name), "error": .string(String(describing: error))]
                        )
                        race.finish(.failed)
                    }
                    timer.cancel()
                }
            )
        }
    }
}

/// The shared state of one check racing its timeout: whoever finishes first resumes the caller.
private final class CheckRace: Sendable {
    private struct State {
        var continuation: CheckedContinuation<ReadinessState, Never>?
        var work: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<ReadinessState, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func setWork(_ work: Task<Void, Never>) {
        state.withLock { $0.work = work }
    }

    func cancelWork() {
        state.withLock { $0.work }?.cancel()
    }

    /// Resumes the caller with `result` unless someone already did; returns whether this call did.
    @discardableResult
    func finish(_ result: ReadinessState) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<ReadinessState, Never>? in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: result)
        return continuation != nil
    }
}
