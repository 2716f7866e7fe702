import Crypto
import Foundation
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Hashes and checks passwords with bcrypt on threads it owns (bcrypt is deliberately slow
/// CPU work: never on an event loop or the cooperative pool).
///
/// bcrypt reads only the first 72 bytes of its input and stops at a NUL, while passwords may be
/// up to 1,024 bytes. So the password is first reduced to the base64 of its SHA-256 (44 ASCII
/// bytes, no NUL) and that is what bcrypt hashes: every byte of the password counts.
final class BcryptPasswordHasher: Service, Sendable {
    /// bcrypt cost factor (work = 2^cost).
    let cost: Int
    private let threadPool: NIOThreadPool
    /// A hash of a random password at the same cost, checked when an email is unknown so that
    /// such a login costs the same time as a wrong password (no account enumeration by timing).
    /// Made on the hasher's threads the first time it is needed.
    private let decoyHash = Mutex<String?>(nil)

    init(cost: Int, threads: Int = System.coreCount) {
        self.cost = cost
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, threads))
        self.threadPool.start()
    }

    /// Stops the threads at graceful shutdown.
    func run() async throws {
        try? await gracefulShutdown()
        try? await threadPool.shutdownGracefully()
    }

    /// The bcrypt hash of `password`.
    func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await threadPool.runIfActive { Bcrypt.hash(Self.prehash(password), cost: cost) }
    }

    /// Whether `password` matches `hash`.
    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await threadPool.runIfActive { Bcrypt.verify(Self.prehash(password), hash: hash) }
    }

    /// Spends the time of one verification and returns `false` (for unknown accounts).
    func verifyDecoy(_ password: String) async throws -> Bool {
        let cost = UInt8(self.cost)
        _ = try await threadPool.runIfActive { [self] in
            let hash = decoyHash.withLock { hash in
                if let hash { return hash }
                let made = Bcrypt.hash(Self.prehash(UUID().uuidString), cost: cost)
                hash = made
                return made
            }
            return Bcrypt.verify(Self.prehash(password), hash: hash)
        }
        return false
    }

    static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}
