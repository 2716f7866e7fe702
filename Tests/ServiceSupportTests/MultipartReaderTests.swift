import Foundation
import NIOCore
import ServiceSupport
import Testing

@Suite("Streaming multipart/form-data reader")
struct MultipartReaderTests {
    struct Part: Equatable {
        var name: String?
        var filename: String?
        var body: [UInt8]
    }

    /// Feeds `body` in chunks of `chunkSize` and collects the parts.
    func parse(_ body: [UInt8], boundary: String, chunkSize: Int) async throws -> [Part] {
        let chunks = stride(from: 0, to: body.count, by: chunkSize).map {
            ByteBuffer(bytes: body[$0..<min(body.count, $0 + chunkSize)])
        }
        let stream = AsyncStream<ByteBuffer> { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        var parts: [Part] = []
        try await MultipartReader(boundary: boundary).read(stream) { event in
            switch event {
            case .partStart(let headers): parts.append(Part(name: headers.name, filename: headers.filename, body: []))
            case .bytes(let bytes): parts[parts.count - 1].body += bytes.readableBytesView
            case .partEnd: break
            }
        }
        return parts
    }

    static let boundary = "----b0undary"
    static let fileBytes: [UInt8] = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) } + Array("\r\n------b0undar".utf8) + [13, 10]
    static var body: [UInt8] {
        Array("preamble to ignore\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nÉté ✓\r\n".utf8)
            + Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.mp4\"\r\nContent-Type: video/mp4\r\n\r\n".utf8)
            + fileBytes + Array("\r\n--\(boundary)--\r\nepilogue".utf8)
    }

    @Test("parts come out whole however the body is chunked, even with boundary-like bytes inside", arguments: [1, 2, 7, 64, 4096, 100_000])
    func chunking(chunkSize: Int) async throws {
        let parts = try await parse(Self.body, boundary: Self.boundary, chunkSize: chunkSize)
        #expect(parts == [
            Part(name: "title", filename: nil, body: Array("Été ✓".utf8)),
            Part(name: "file", filename: "a b.mp4", body: Self.fileBytes),
        ])
    }

    @Test("a body without its closing boundary is an error")
    func truncated() async throws {
        await #expect(throws: MultipartError.self) {
            _ = try await parse(Array(Self.body.prefix(Self.body.count / 2)), boundary: Self.boundary, chunkSize: 100)
        }
    }

    @Test("a part without Content-Disposition, or with huge headers, is an error")
    func badHeaders() async throws {
        let noDisposition = Array("--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n".utf8)
        await #expect(throws: MultipartError.self) { _ = try await parse(noDisposition, boundary: "x", chunkSize: 8) }
        let huge = Array("--x\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: \(String(repeating: "p", count: 20_000))\r\n\r\nhi\r\n--x--\r\n".utf8)
        await #expect(throws: MultipartError.self) { _ = try await parse(huge, boundary: "x", chunkSize: 512) }
    }

    @Test("the boundary comes from the Content-Type, quoted or not")
    func boundaryParsing() {
        #expect(MultipartReader.boundary(fromContentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartReader.boundary(fromContentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b\"") == "a b")
        #expect(MultipartReader.boundary(fromContentType: "application/json") == nil)
        #expect(MultipartReader.boundary(fromContentType: "multipart/form-data") == nil)
    }
}
