import Testing

@testable import Transcoder

@Suite("Where tools read a source: a local file, or upload-service over HTTP with the demuxer forced")
struct MediaInputTests {
    @Test("a file may open local files only; a URL opens HTTP alone (TLS for https) with its container's demuxer forced")
    func arguments() {
        #expect(MediaInput.file("/s/source").arguments == ["-protocol_whitelist", "file,pipe", "-i", "/s/source"])
        let url = "http://upload:8080/internal/videos/x/granted-source?expires=1&grant=a"
        #expect(MediaInput.network(url: url, demuxer: "mov").arguments == ["-protocol_whitelist", "http,tcp", "-f", "mov", "-i", url])
        #expect(MediaInput.network(url: "HTTPS://u/s", demuxer: "matroska").arguments.prefix(4) == ["-protocol_whitelist", "https,tls,tcp", "-f", "matroska"])
    }

    @Test("transport failures are told apart from damaged files (ffmpeg 5.1's own messages)")
    func transportFailures() {
        for errors in [
            "[tcp @ 0x55] Connection to tcp://127.0.0.1:9 failed: Connection refused",
            "[http @ 0x55] Stream ends prematurely at 1048576, should be 91254474\n[mov,mp4 @ 0x56] stream 0, offset 0x100000: partial file",
            "http://u/s: Server returned 5XX Server Error reply",
            "[http @ 0x1] HTTP error 503 Service Unavailable",
        ] {
            #expect(MediaInput.transportFailed(errors), "\(errors)")
        }
        for errors in ["[mov,mp4 @ 0x56] moov atom not found\nsource: Invalid data found when processing input", "partial file", ""] {
            #expect(!MediaInput.transportFailed(errors), "\(errors)")
        }
        #expect(MediaInput.sourceMissing("http://u/s: Server returned 404 Not Found"))
        #expect(!MediaInput.sourceMissing("Server returned 401 Unauthorized (authorization failed)"))
    }
}
