/// How ``JobWorker`` treats its jobs: how many at once, how often it heartbeats, how it retries
/// and how long a running job may go on once shutdown began.
struct JobPolicy: Sendable {
    /// Jobs run at once by one process.
    var concurrency: Int
    /// A job without a heartbeat for this long is taken over by another worker; heartbeats go
    /// out every third of it.
    var claimIdle: Duration
    /// Attempts before a job that keeps failing is dead-lettered.
    var maxAttempts: Int
    /// The first retry's delay; each next one doubles it.
    var retryBase: Duration
    /// How long a running job may finish once graceful shutdown began.
    var shutdownGrace: Duration
    /// When the first captioning retry runs after audio-service was unavailable.
    var captionRetry: Duration
    /// How long one wait for a new job lasts (the loop then looks again).
    var claimWait: Duration = .seconds(2)
    /// How often due retries are moved back to the queue.
    var retryPoll: Duration = .seconds(1)
    /// Set to beat more often than every third of `claimIdle`.
    var heartbeatInterval: Duration? = nil

    /// How often a running job's heartbeat goes out.
    var heartbeat: Duration { heartbeatInterval ?? claimIdle / 3 }

    /// The delay before attempt `attempt + 1`.
    func retryDelay(after attempt: Int) -> Duration {
        retryBase * (1 << min(max(attempt - 1, 0), 20))
    }
}

extension JobPolicy {
    /// The policy configured for processing-service.
    init(settings: ProcessingSettings) {
        self.init(
            concurrency: settings.concurrency, claimIdle: settings.claimIdle, maxAttempts: settings.maxAttempts,
            retryBase: settings.retryBase, shutdownGrace: settings.shutdownGrace, captionRetry: settings.captionRetry)
    }
}
