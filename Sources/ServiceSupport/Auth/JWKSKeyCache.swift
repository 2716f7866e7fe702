import JWTKit
import Logging

/// Why no key set is available.
public struct JWKSUnavailableError: Error, Sendable, CustomStringConvertible {
    /// A readable description for logs.
    public var description: String { "no JWKS could be fetched yet" }
}

/// The verification keys of one fetched JWKS.
public struct VerificationKeySet: Sendable {
    /// jwt-kit's collection holding each usable key under its `kid`.
    let keys: JWTKeyCollection
    /// The algorithm (`ES256` or `EdDSA`) of each usable key, by `kid`.
    public let algorithms: [String: String]
    /// Increases with every successful fetch; a cached verification is valid only for its generation.
    public let generation: Int
    let fetchedAt: ContinuousClock.Instant
}

/// Caches the JWKS from a ``JWKSSource``.
///
/// - A key set is reused for `timeToLive` (default 5 minutes), then fetched again.
/// - A token naming a `kid` the set does not have triggers a refetch (user-service rotated its
///   key), but fetches are at least `minimumRefetchInterval` apart (default 10 s), so a flood of
///   tokens with made-up `kid`s cannot turn into a flood of requests to user-service.
/// - Concurrent callers share one fetch. When a fetch fails, the previous set stays in use.
///
/// Only public keys the services can verify are kept: EC P-256 (`ES256`) and OKP Ed25519
/// (`EdDSA`), each with a `kid`; private parts in a published JWK are ignored.
public actor JWKSKeyCache {
    private let source: any JWKSSource
    /// How long a fetched key set is used before it is fetched again.
    let timeToLive: Duration
    private let minimumRefetchInterval: Duration
    /// The cache's clock (injectable for tests); the verifier reads it too.
    let now: @Sendable () -> ContinuousClock.Instant
    private let logger: Logger

    private var current: VerificationKeySet?
    private var lastAttempt: ContinuousClock.Instant?
    private var inflight: Task<VerificationKeySet, any Error>?
    /// How many fetches were started (for tests and metrics).
    public private(set) var fetchCount = 0

    /// Creates a cache over `source`.
    /// - Parameters:
    ///   - now: The clock; tests pass a controllable one.
    public init(
        source: any JWKSSource,
        timeToLive: Duration = .seconds(300),
        minimumRefetchInterval: Duration = .seconds(10),
        logger: Logger = Logger(label: "clipcut.jwks"),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.source = source
        self.timeToLive = timeToLive
        self.minimumRefetchInterval = minimumRefetchInterval
        self.logger = logger
        self.now = now
    }

    /// A key set that has `kid`, fetching when the cached one is stale or lacks `kid` (subject to
    /// the rate limit). Returns the cached set even if it lacks `kid` when no fetch is allowed;
    /// the caller checks.
    /// - Throws: ``JWKSUnavailableError`` when there is no key set at all.
    public func keySet(containing kid: String) async throws -> VerificationKeySet {
        let timestamp = now()
        let isStale = current.map { timestamp - $0.fetchedAt >= timeToLive } ?? true
        let lacksKid = current?.algorithms[kid] == nil
        if isStale || lacksKid, mayFetch(at: timestamp) {
            do {
                current = try await fetch()
            } catch {
                logger.warning("JWKS fetch failed", metadata: ["error": .string(String(describing: error))])
            }
        }
        guard let current else { throw JWKSUnavailableError() }
        return current
    }

    private func mayFetch(at timestamp: ContinuousClock.Instant) -> Bool {
        if inflight != nil { return true }
        guard let lastAttempt else { return true }
        return timestamp - lastAttempt >= minimumRefetchInterval
    }

    /// Starts a fetch, or joins the one already running.
    private func fetch() async throws -> VerificationKeySet {
        if let inflight {
            return try await inflight.value
        }
        lastAttempt = now()
        fetchCount += 1
        let generation = fetchCount
        let source = self.source
        let logger = self.logger
        let clock = self.now
        let task = Task {
            let jwks = try await source.fetchJWKS()
            return await Self.makeKeySet(from: jwks, generation: generation, fetchedAt: clock(), logger: logger)
        }
        inflight = task
        defer { inflight = nil }
        return try await task.value
    }

    /// Builds the verification keys of `jwks`, skipping keys it cannot use.
    static func makeKeySet(
        from jwks: JWKS, generation: Int, fetchedAt: ContinuousClock.Instant, logger: Logger
    ) async -> VerificationKeySet {
        let collection = JWTKeyCollection()
        var algorithms: [String: String] = [:]
        for jwk in jwks.keys {
            guard let kid = jwk.keyIdentifier?.string, !kid.isEmpty else {
                logger.debug("skipping JWK without kid")
                continue
            }
            do {
                switch (jwk.keyType, jwk.curve?.rawValue) {
                case (.ecdsa, "P-256") where jwk.algorithm == nil || jwk.algorithm == .es256:
                    guard let x = jwk.x, let y = jwk.y else { continue }
                    let key = try ES256PublicKey(parameters: (x: x, y: y))
                    await collection.add(ecdsa: key, kid: JWKIdentifier(string: kid))
                    algorithms[kid] = "ES256"
                case (.octetKeyPair, "Ed25519") where jwk.algorithm == nil || jwk.algorithm == .eddsa:
                    guard let x = jwk.x else { continue }
                    let key = try EdDSA.PublicKey(x: x, curve: .ed25519)
                    await collection.add(eddsa: key, kid: JWKIdentifier(string: kid))
                    algorithms[kid] = "EdDSA"
                default:
                    logger.debug("skipping JWK of unsupported type", metadata: ["kid": .string(kid)])
                }
            } catch {
                logger.warning("skipping unusable JWK", metadata: ["kid": .string(kid)])
            }
        }
        if algorithms.isEmpty {
            logger.warning("JWKS holds no usable ES256 or EdDSA key")
        }
        return VerificationKeySet(keys: collection, algorithms: algorithms, generation: generation, fetchedAt: fetchedAt)
    }
}
