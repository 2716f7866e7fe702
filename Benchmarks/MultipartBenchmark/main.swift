// Our streaming multipart/form-data reader against MultipartKit's parser (vapor/multipart-kit
// 4.7.1, the version this machine's package set has; MultipartKit 5 is not in it), on the same
// body in the same process: a small text field and one large file part of random bytes, fed in
// 64 KiB chunks as a request body arrives. Prints MB/s per round and the median ratio.
//
//   MultipartBenchmark [MiB] [rounds]
import Foundation
import MultipartKit
import NIOCore
import ServiceSupport

let mebibytes = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 64 : 64
let rounds = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 5 : 5
let boundary = "----ClipCutBenchmarkBoundary7MA4YWxkTrZu0gW"
let chunkSize = 64 * 1024

/// The body, cut into request-sized chunks. Random bytes, with a near-miss of the delimiter
/// (`\r\n--` and a wrong boundary) every 64 KiB, as a file may hold.
func makeBody() -> [ByteBuffer] {
    var generator = SystemRandomNumberGenerator()
    var file = [UInt8](repeating: 0, count: mebibytes << 20)
    for index in stride(from: 0, to: file.count, by: 8) {
        withUnsafeBytes(of: generator.next() as UInt64) { raw in
            for offset in 0..<min(8, file.count - index) { file[index + offset] = raw[offset] }
        }
    }
    let nearMiss = Array("\r\n----ClipCutBenchmarkBoundary7MA4YWxkTrZu0gX".utf8)
    for index in stride(from: 4096, to: file.count - nearMiss.count, by: 65_536) {
        file.replaceSubrange(index..<(index + nearMiss.count), with: nearMiss)
    }
    var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nA benchmark\r\n".utf8)
    body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\n".utf8)
    body += Array("Content-Type: video/mp4\r\n\r\n".utf8) + file + Array("\r\n--\(boundary)--\r\n".utf8)
    return stride(from: 0, to: body.count, by: chunkSize).map { ByteBuffer(bytes: body[$0..<min(body.count, $0 + chunkSize)]) }
}

/// Our reader: events as the chunks arrive (an async sequence, as a request body is).
func ours(_ chunks: [ByteBuffer]) async throws -> Int {
    let reader = try MultipartReader(boundary: boundary)
    let stream = AsyncStream<ByteBuffer> { continuation in
        for chunk in chunks { continuation.yield(chunk) }
        continuation.finish()
    }
    let counter = Counter()
    try await reader.read(stream) { event in
        if case .bytes(let buffer) = event { counter.add(buffer.readableBytes) }
    }
    return counter.value
}

/// MultipartKit's callback parser on the same chunks (the same async delivery).
func multipartKit(_ chunks: [ByteBuffer]) async throws -> Int {
    let parser = MultipartParser(boundary: boundary)
    var total = 0
    parser.onBody = { buffer in total += buffer.readableBytes }
    let stream = AsyncStream<ByteBuffer> { continuation in
        for chunk in chunks { continuation.yield(chunk) }
        continuation.finish()
    }
    for await chunk in stream { try parser.execute(chunk) }
    return total
}

final class Counter: @unchecked Sendable {
    var value = 0
    func add(_ count: Int) { value += count }
}

func timed(_ body: () async throws -> Int) async throws -> (seconds: Double, bytes: Int) {
    let start = ContinuousClock.now
    let bytes = try await body()
    let elapsed = ContinuousClock.now - start
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, bytes)
}

let chunks = makeBody()
let total = chunks.reduce(0) { $0 + $1.readableBytes }
var oursRates: [Double] = [], theirsRates: [Double] = []
for round in 1...rounds {
    // Alternate which goes first.
    let order: [Bool] = round % 2 == 1 ? [true, false] : [false, true]
    for isOurs in order {
        let result = try await timed { isOurs ? try await ours(chunks) : try await multipartKit(chunks) }
        let rate = Double(total) / result.seconds / 1e6
        precondition(result.bytes >= mebibytes << 20, "a parser lost bytes: \(result.bytes)")
        if isOurs { oursRates.append(rate) } else { theirsRates.append(rate) }
        print("round \(round) \(isOurs ? "ClipCut MultipartReader" : "MultipartKit 4.7.1 parser"): \(String(format: "%.0f", rate)) MB/s")
    }
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
print(String(
    format: "median: ClipCut %.0f MB/s, MultipartKit %.0f MB/s, ratio %.2fx (%d MiB body in 64 KiB chunks, %d rounds)",
    median(oursRates), median(theirsRates), median(oursRates) / median(theirsRates), mebibytes, rounds))
