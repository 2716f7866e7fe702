import ClipCutCore
import Foundation
import Logging
import Prometheus
import Redis
import ServiceLifecycle

/// The figures of `GET /api/stats` as Prometheus metrics on monitoring-service's `/metrics`:
/// gauges refreshed by ``PlatformMetricsRefresher``, and histograms of processing time recorded
/// as each `video.ready` is projected (by this replica).
struct PlatformMetrics: Sendable {
    let uploadsReady: Gauge
    let uploadsFailed: Gauge
    let uploadsInFlight: Gauge
    let uploadBytes: Gauge
    let successRatio: Gauge
    let medianPerMinute: Gauge
    let p95PerMinute: Gauge
    let jobsWaiting: Gauge
    let jobsInProgress: Gauge
    let jobsDelayed: Gauge
    /// How long the oldest waiting job has waited (0 with none waiting).
    let oldestWait: Gauge
    let deadJobs: Gauge
    let deadEvents: Gauge
    let feeds: Gauge
    let processingSeconds: ValueHistogram
    let processingSecondsPerMinute: ValueHistogram
    /// Per consumer group of `clipcut:jobs` and `clipcut:events`: entries not yet delivered to it
    /// (`lag`) and delivered but not acknowledged (`pending`). A growing lag holds the trimming
    /// of the stream back (nothing unread is ever trimmed).
    let groupLag: [String: Gauge]
    let groupPending: [String: Gauge]

    /// The consumer groups measured, by stream.
    static let groups = [
        (RedisNames.jobsStream, RedisNames.processingGroup), (RedisNames.eventsStream, RedisNames.uploadGroup),
        (RedisNames.eventsStream, RedisNames.monitoringGroup),
    ]

    init(registry: PrometheusCollectorRegistry) {
        uploadsReady = registry.makeGauge(name: "clipcut_uploads", labels: [("status", "ready")])
        uploadsFailed = registry.makeGauge(name: "clipcut_uploads", labels: [("status", "failed")])
        uploadsInFlight = registry.makeGauge(name: "clipcut_uploads", labels: [("status", "in_flight")])
        uploadBytes = registry.makeGauge(name: "clipcut_upload_bytes")
        successRatio = registry.makeGauge(name: "clipcut_upload_success_ratio")
        medianPerMinute = registry.makeGauge(name: "clipcut_processing_seconds_per_video_minute_median")
        p95PerMinute = registry.makeGauge(name: "clipcut_processing_seconds_per_video_minute_p95")
        jobsWaiting = registry.makeGauge(name: "clipcut_jobs", labels: [("state", "waiting")])
        jobsInProgress = registry.makeGauge(name: "clipcut_jobs", labels: [("state", "in_progress")])
        jobsDelayed = registry.makeGauge(name: "clipcut_jobs", labels: [("state", "delayed")])
        oldestWait = registry.makeGauge(name: "clipcut_jobs_oldest_wait_seconds")
        deadJobs = registry.makeGauge(name: "clipcut_dead_letters", labels: [("stream", "jobs")])
        deadEvents = registry.makeGauge(name: "clipcut_dead_letters", labels: [("stream", "events")])
        feeds = registry.makeGauge(name: "clipcut_progress_feeds_open")
        processingSeconds = registry.makeValueHistogram(
            name: "clipcut_processing_seconds", buckets: [5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200])
        processingSecondsPerMinute = registry.makeValueHistogram(
            name: "clipcut_processing_seconds_per_video_minute", buckets: [5, 10, 20, 30, 60, 120, 300, 600])
        var lag: [String: Gauge] = [:], pending: [String: Gauge] = [:]
        for (stream, group) in Self.groups {
            let labels = [("stream", stream), ("group", group)]
            lag["\(stream)|\(group)"] = registry.makeGauge(
                descriptor: MetricNameDescriptor(metricName: "clipcut_stream_group", unitName: "lag", helpText: "Entries not yet delivered to the group."),
                labels: labels)
            pending["\(stream)|\(group)"] = registry.makeGauge(
                descriptor: MetricNameDescriptor(metricName: "clipcut_stream_group", unitName: "pending", helpText: "Entries delivered, not acknowledged."),
                labels: labels)
        }
        groupLag = lag
        groupPending = pending
    }

    /// Sets the consumer-group gauges from `XINFO GROUPS`.
    func updateGroups(_ redis: RedisClient) async throws {
        for stream in Set(Self.groups.map(\.0)) {
            for info in try await redis.xinfoGroups(stream) {
                groupLag["\(stream)|\(info.name)"]?.set(Double(info.lag ?? 0))
                groupPending["\(stream)|\(info.name)"]?.set(Double(info.pending))
            }
        }
    }

    /// Sets every gauge from one collection of figures.
    func update(_ stats: PlatformStats, openFeeds: Int) {
        let totals = stats.uploads.totals
        uploadsReady.set(Double(totals.ready))
        uploadsFailed.set(Double(totals.failed))
        uploadsInFlight.set(Double(totals.inFlight))
        uploadBytes.set(Double(totals.bytes))
        successRatio.set(totals.successRate ?? 1)
        medianPerMinute.set(stats.uploads.processing.medianSecondsPerMinute ?? 0)
        p95PerMinute.set(stats.uploads.processing.p95SecondsPerMinute ?? 0)
        jobsWaiting.set(Double(stats.queue.waiting))
        jobsInProgress.set(Double(stats.queue.inProgress))
        jobsDelayed.set(Double(stats.queue.delayed))
        oldestWait.set(stats.queue.owners.map(\.oldestWaitSeconds).max() ?? 0)
        deadJobs.set(Double(stats.deadLetters.jobs))
        deadEvents.set(Double(stats.deadLetters.events))
        feeds.set(Double(openFeeds))
    }

    /// Records the processing time of an upload that just became ready.
    func recordReady(_ upload: UploadSummary) {
        guard let readyAt = upload.readyAt else { return }
        let seconds = max(0, readyAt.timeIntervalSince(upload.createdAt))
        processingSeconds.record(seconds)
        if let duration = upload.durationSeconds, duration > 0 {
            processingSecondsPerMinute.record(seconds / (duration / 60))
        }
    }
}

/// Refreshes ``PlatformMetrics`` every `interval` (15 s), so a scrape reads current figures
/// without querying the database itself.
struct PlatformMetricsRefresher: Service {
    let metrics: PlatformMetrics
    let store: any HistoryStore
    let redis: RedisClient
    let hub: ProgressHub
    let logger: Logger
    var interval: Duration = .seconds(15)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    metrics.update(try await PlatformStats.collect(store: store, redis: redis, jobs: hub.queue), openFeeds: hub.watcherCount)
                    try await metrics.updateGroups(redis)
                } catch {
                    logger.warning("platform metrics not refreshed", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
