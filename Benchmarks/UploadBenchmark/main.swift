// The load side of `scripts/bench upload`.
//
//   UploadBenchmark ranges URL FILE_LENGTH RANGE_BYTES CONCURRENCY SECONDS [BEARER]
//       CONCURRENCY clients, each asking for RANGE_BYTES at a random offset of URL in a loop
//       for SECONDS; prints "requests=<n> seconds=<s> rps=<r> p50_ms=<x> p99_ms=<y> errors=<e>".
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One client's loop.
func client(
    _ http: HTTPClient, url: String, fileLength: Int, rangeBytes: Int, bearer: String?, until deadline: ContinuousClock.Instant
) async -> (latencies: [Double], errors: Int) {
    var latencies: [Double] = []
    var errors = 0
    while ContinuousClock.now < deadline {
        let start = Int.random(in: 0...(fileLength - rangeBytes))
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Range", value: "bytes=\(start)-\(start + rangeBytes - 1)")
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        let began = ContinuousClock.now
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            var received = 0
            for try await buffer in response.body { received += buffer.readableBytes }
            if response.status != .partialContent || received != rangeBytes {
                errors += 1
                continue
            }
            let elapsed = ContinuousClock.now - began
            latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        } catch {
            errors += 1
        }
    }
    return (latencies, errors)
}

let arguments = CommandLine.arguments
guard arguments.count >= 7, arguments[1] == "ranges", let fileLength = Int(arguments[3]), let rangeBytes = Int(arguments[4]),
      let concurrency = Int(arguments[5]), let seconds = Int(arguments[6]), rangeBytes <= fileLength
else {
    FileHandle.standardError.write(Data("usage: UploadBenchmark ranges URL FILE_LENGTH RANGE_BYTES CONCURRENCY SECONDS [BEARER]\n".utf8))
    exit(2)
}
let url = arguments[2]
let bearer = arguments.count > 7 ? arguments[7] : nil
var configuration = HTTPClient.Configuration()
configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
let started = ContinuousClock.now
let deadline = started + .seconds(seconds)
let results = await withTaskGroup(of: (latencies: [Double], errors: Int).self) { group in
    for _ in 0..<concurrency {
        group.addTask { await client(http, url: url, fileLength: fileLength, rangeBytes: rangeBytes, bearer: bearer, until: deadline) }
    }
    var all: [(latencies: [Double], errors: Int)] = []
    for await result in group { all.append(result) }
    return all
}
let elapsed = ContinuousClock.now - started
let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let latencies = results.flatMap(\.latencies).sorted()
let errors = results.reduce(0) { $0 + $1.errors }
func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
print(String(format: "requests=%d seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d",
             latencies.count, wall, Double(latencies.count) / wall, percentile(0.5), percentile(0.99), errors))
try await http.shutdown()
