import Foundation
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Whisper

/// Loads the Whisper model when the service starts and holds it: until it is loaded (or if it
/// cannot be) `/ready` says so and transcriptions get 503, while `/health` stays up.
final class ModelHolder: Service, Sendable {
    enum State: Sendable {
        case loading
        case ready(WhisperTranscriber)
        case failed(String)
    }

    let configuration: WhisperTranscriber.Configuration
    private let state: Mutex<State>
    private let logger: Logger

    init(configuration: WhisperTranscriber.Configuration, logger: Logger) {
        self.configuration = configuration
        self.state = Mutex(.loading)
        self.logger = logger
    }

    /// Sets the state directly (router tests hand in a transcriber they loaded).
    init(transcriber: WhisperTranscriber, logger: Logger = Logger(label: "test")) {
        self.configuration = transcriber.configuration
        self.state = Mutex(.ready(transcriber))
        self.logger = logger
    }

    func run() async throws {
        if case .ready(let transcriber) = state.withLock({ $0 }) {
            try await transcriber.run()
            return
        }
        let transcriber: WhisperTranscriber
        do {
            transcriber = try await WhisperTranscriber(configuration: configuration, logger: logger)
        } catch {
            logger.critical("the Whisper model could not be loaded; the service will not become ready", metadata: ["error": "\(error)"])
            state.withLock { $0 = .failed("\(error)") }
            try? await gracefulShutdown()
            return
        }
        logger.info("Whisper model loaded", metadata: ["path": "\(configuration.modelPath)", "type": "\(transcriber.model.typeName)"])
        state.withLock { $0 = .ready(transcriber) }
        try await transcriber.run()
    }

    /// The transcriber, or 503 while loading or after a failed load.
    func transcriber() throws -> WhisperTranscriber {
        switch state.withLock({ $0 }) {
        case .ready(let transcriber): return transcriber
        case .loading: throw APIError.serviceUnavailable("The speech model is still loading.")
        case .failed: throw APIError.serviceUnavailable("The speech model could not be loaded.")
        }
    }

    /// For `/ready`: throws unless the model is loaded.
    func checkReady() throws {
        _ = try transcriber()
    }
}
