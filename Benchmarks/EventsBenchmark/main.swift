// The load side of `scripts/bench events`.
//
//   EventsBenchmark SERVICE_URL REDIS_URL TOKEN OWNER CLIENTS VIDEOS ROUNDS
//       Publishes a `video.uploaded` event for VIDEOS videos of OWNER, waits until the service
//       has projected them, opens CLIENTS Server-Sent Event feeds spread over the videos, then
//       publishes ROUNDS progress messages per video (10 rounds a second) stamped with the
//       wall-clock time. Every client records PUBLISH-to-arrival latency; a plain Redis
//       subscriber in this process (PSUBSCRIBE, no HTTP) records the same as the baseline.
//       Prints one line of `key=value` figures.
import AsyncHTTPClient
import ClipCutCore
import Foundation
import NIOCore
import Redis
import Synchronization

/// Wall-clock microseconds (the publisher and the clients share this process's clock).
func nowMicros() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
}

/// Latency in ms of each `bench-t=<µs>` stamp in `text`.
func latencies(in text: Substring, at arrival: Int64) -> [Double] {
    var found: [Double] = []
    var rest = text[...]
    while let range = rest.range(of: "bench-t=") {
        let digits = rest[range.upperBound...].prefix { $0.isNumber }
        if let sent = Int64(digits) { found.append(Double(arrival - sent) / 1000) }
        rest = rest[range.upperBound...]
    }
    return found
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

let arguments = CommandLine.arguments
guard arguments.count == 8, let clients = Int(arguments[5]), let videoCount = Int(arguments[6]), let rounds = Int(arguments[7]),
      let owner = UserID(arguments[4]), clients > 0, videoCount > 0
else {
    FileHandle.standardError.write(Data("usage: EventsBenchmark SERVICE_URL REDIS_URL TOKEN OWNER CLIENTS VIDEOS ROUNDS\n".utf8))
    exit(2)
}
let service = arguments[1], token = arguments[3]
let redis = RedisClient(configuration: try RedisConfiguration(url: arguments[2]))
var configuration = HTTPClient.Configuration()
configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: clients + 10)
let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)

// The videos, projected by the service from the events stream.
let videos = (0..<videoCount).map { _ in VideoID.random() }
for video in videos {
    let event = VideoUploadedEvent(videoId: video, owner: owner, title: "bench", filename: "b.mp4", size: 1, contentType: "video/mp4", sha256: "0")
    try await redis.xadd(RedisNames.eventsStream, fields: [RedisNames.messageField: try event.jsonString()])
}
var projected = false
for _ in 0..<600 where !projected {
    var request = HTTPClientRequest(url: "\(service)/api/history/\(videos[videos.count - 1])")
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    projected = (try? await http.execute(request, timeout: .seconds(5)).status) == .ok
    if !projected { try await Task.sleep(for: .milliseconds(100)) }
}
guard projected else { fatalError("the service did not project the bench videos") }

/// Shared by the client tasks: how many feeds are open or failed, and when to stop.
final class BenchState: Sendable {
    let connected = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
}
let state = BenchState()

/// One SSE client: connects, then collects latencies until the stream ends or `stop` is set.
func watch(_ video: VideoID, state: BenchState) async -> [Double] {
    var request = HTTPClientRequest(url: "\(service)/api/videos/\(video)/events")
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    var found: [Double] = []
    do {
        let response = try await http.execute(request, timeout: .seconds(600))
        guard response.status == .ok else {
            state.failures.add(1, ordering: .relaxed)
            return []
        }
        state.connected.add(1, ordering: .relaxed)
        var pending = ""
        for try await buffer in response.body {
            let arrival = nowMicros()
            pending += String(buffer: buffer)
            guard let end = pending.range(of: "\n\n", options: .backwards) else { continue }
            found += latencies(in: pending[..<end.upperBound], at: arrival)
            pending = String(pending[end.upperBound...])
            if state.stop.load(ordering: .relaxed) { break }
        }
    } catch {
        state.failures.add(1, ordering: .relaxed)
    }
    return found
}

let baseline = try await redis.subscribe(toPatterns: [RedisNames.progressChannelPattern])
let expected = rounds * videoCount
let started = ContinuousClock.now
let (sse, direct) = await withTaskGroup(of: [Double].self) { group -> ([Double], [Double]) in
    for index in 0..<clients {
        group.addTask { await watch(videos[index % videoCount], state: state) }
    }
    var sse: [Double] = []
    // Wait for every feed, then publish.
    while state.connected.load(ordering: .relaxed) + state.failures.load(ordering: .relaxed) < clients {
        try? await Task.sleep(for: .milliseconds(50))
    }
    let connectSeconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
    FileHandle.standardError.write(Data("connected \(state.connected.load(ordering: .relaxed)) feeds in \(String(format: "%.1f", connectSeconds)) s\n".utf8))
    let directTask = Task { () -> [Double] in
        var found: [Double] = []
        for await message in baseline {
            found += latencies(in: message.text[...], at: nowMicros())
            if found.count >= expected { break }
        }
        return found
    }
    for round in 0..<rounds {
        for video in videos {
            let event = VideoProgressEvent(
                videoId: video, stage: .transcoding, rung: "720p", percent: Double(round) * 100 / Double(rounds),
                fps: 30, speed: 1, etaSeconds: 1, logLine: "bench-t=\(nowMicros())")
            _ = try? await redis.publish(try event.jsonString(), to: RedisNames.progressChannel(for: video))
        }
        try? await Task.sleep(for: .milliseconds(100))
    }
    try? await Task.sleep(for: .seconds(2))
    state.stop.store(true, ordering: .relaxed)
    // A last message wakes every client so it sees `stop`.
    for video in videos {
        _ = try? await redis.publish(try VideoProgressEvent(videoId: video, stage: .transcoding, percent: 100).jsonString(),
                                     to: RedisNames.progressChannel(for: video))
    }
    for await found in group { sse += found }
    directTask.cancel()
    return (sse, await directTask.value)
}
let sortedSSE = sse.sorted(), sortedDirect = direct.sorted()
let format = { (value: Double) in String(format: "%.2f", value) }
print([
    "clients=\(clients)", "videos=\(videoCount)", "published=\(expected)", "delivered=\(sse.count)", "expected=\(rounds * clients)",
    "failed_clients=\(state.failures.load(ordering: .relaxed))",
    "p50_ms=\(format(percentile(sortedSSE, 0.5)))", "p99_ms=\(format(percentile(sortedSSE, 0.99)))", "max_ms=\(format(sortedSSE.last ?? .nan))",
    "redis_p50_ms=\(format(percentile(sortedDirect, 0.5)))", "redis_p99_ms=\(format(percentile(sortedDirect, 0.99)))",
].joined(separator: " "))
try await http.shutdown().get()
await redis.shutdown()
