// The load side of `scripts/bench upload` and `scripts/bench playback`.
//
//   UploadBenchmark ranges URL FILE_LENGTH RANGE_BYTES CONCURRENCY SECONDS [BEARER]
//       CONCURRENCY clients, each asking for RANGE_BYTES at a random offset of URL in a loop
//       for SECONDS; prints "requests=<n> seconds=<s> rps=<r> p50_ms=<x> p99_ms=<y> errors=<e>".
//   UploadBenchmark files URL_TEMPLATE COUNT FILE_LENGTH CONCURRENCY SECONDS [BEARER]
//       the same, each request a whole file: URL_TEMPLATE with `{n}` replaced by a random
//       number in 0..<COUNT (HLS segments), expecting 200 and FILE_LENGTH bytes.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What one client asks for, again and again.
enum Load: Sendable {
    /// `bytes` at a random offset of the file at `url`.
    case ranges(url: String, fileLength: Int, bytes: Int)
    /// A whole file of `length` bytes, `template` with `{n}` a random number below `count`.
    case files(template: String, count: Int, length: Int)

    /// The next request and the status and length a right answer has.
    func next(bearer: String?) -> (HTTPClientRequest, HTTPResponseStatus, Int) {
        var request: HTTPClientRequest
        let expected: (HTTPResponseStatus, Int)
        switch self {
        case .ranges(let url, let fileLength, let bytes):
            let start = Int.random(in: 0...(fileLength - bytes))
            request = HTTPClientRequest(url: url)
            request.headers.add(name: "Range", value: "bytes=\(start)-\(start + bytes - 1)")
            expected = (.partialContent, bytes)
        case .files(let template, let count, let length):
            request = HTTPClientRequest(url: template.replacingOccurrences(of: "{n}", with: String(Int.random(in: 0..<count))))
            expected = (.ok, length)
        }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        return (request, expected.0, expected.1)
    }
}

/// One client's loop.
func client(_ http: HTTPClient, load: Load, bearer: String?, until deadline: ContinuousClock.Instant) async -> (latencies: [Double], errors: Int) {
    var latencies: [Double] = []
    var errors = 0
    while ContinuousClock.now < deadline {
        let (request, status, length) = load.next(bearer: bearer)
        let began = ContinuousClock.now
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            var received = 0
            for try await buffer in response.body { received += buffer.readableBytes }
            if response.status != status || received != length {
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
let usage = "usage: UploadBenchmark ranges URL FILE_LENGTH RANGE_BYTES CONCURRENCY SECONDS [BEARER]\n"
    + "       UploadBenchmark files URL_TEMPLATE COUNT FILE_LENGTH CONCURRENCY SECONDS [BEARER]\n"
guard arguments.count >= 7, let first = Int(arguments[3]), let second = Int(arguments[4]),
      let concurrency = Int(arguments[5]), let seconds = Int(arguments[6]), first > 0, second > 0
else {
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
let load: Load
switch arguments[1] {
case "ranges" where second <= first: load = .ranges(url: arguments[2], fileLength: first, bytes: second)
case "files": load = .files(template: arguments[2], count: first, length: second)
default:
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
let bearer = arguments.count > 7 ? arguments[7] : nil
var configuration = HTTPClient.Configuration()
configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
let started = ContinuousClock.now
let deadline = started + .seconds(seconds)
let results = await withTaskGroup(of: (latencies: [Double], errors: Int).self) { group in
    for _ in 0..<concurrency {
        group.addTask { await client(http, load: load, bearer: bearer, until: deadline) }
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
