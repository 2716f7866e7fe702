import ClipCutCore
import Foundation
import ServiceSupport
import Testing

@testable import UploadService

@Suite("The container sniffer, Range and tus header parsing, playback tokens")
struct ParserTests {
    @Test("ffmpeg's own output in every accepted container is recognised", arguments: [
        ("mp4", VideoContainer.mp4), ("mov", .quicktime), ("mkv", .matroska), ("webm", .matroska), ("avi", .avi),
        ("ts", .mpegTS), ("flv", .flv), ("ogv", .ogg), ("mpg", .mpegPS), ("wmv", .asf),
    ])
    func sniffsRealFiles(fileExtension: String, container: VideoContainer) async throws {
        let path = scratchPath("sniff.\(fileExtension)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let codec: [String] = switch fileExtension {
        case "webm": ["-c:v", "libvpx", "-b:v", "100k"]
        case "ogv": ["-c:v", "libtheora"]
        case "mpg": ["-c:v", "mpeg2video"]
        case "wmv": ["-c:v", "wmv2"]
        case "flv": ["-c:v", "flv"]
        default: ["-c:v", "libx264", "-preset", "ultrafast"]
        }
        try await run("/usr/bin/ffmpeg", ["-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-t", "0.5"]
            + codec + [path])
        let prefix = try #require(FileHandle(forReadingAtPath: path)?.readData(ofLength: ContainerSniffer.wantedPrefixLength))
        #expect(ContainerSniffer.sniff([UInt8](prefix)) == container)
    }

    @Test("text, images, audio-only formats, archives, short and empty input are refused")
    func refusesOthers() {
        let samples: [[UInt8]] = [
            Array("just some text that pretends to be a video file\n".utf8),
            Array("GET / HTTP/1.1\r\n\r\n".utf8) + [UInt8](repeating: 0x47, count: 10),
            [0x89] + Array("PNG\r\n\u{1A}\n".utf8) + [UInt8](repeating: 0, count: 40),
            [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0, count: 40),
            Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt ".utf8) + [UInt8](repeating: 0, count: 40),
            Array("PK\u{3}\u{4}".utf8) + [UInt8](repeating: 0, count: 40),
            Array("%PDF-1.7".utf8) + [UInt8](repeating: 0, count: 40),
            [0x47] + [UInt8](repeating: 0, count: 200),  // one sync byte is not a transport stream
            [0, 0, 0, 32, 0x66, 0x74],
            [],
        ]
        for sample in samples {
            #expect(ContainerSniffer.sniff(sample) == nil, "\(sample.prefix(8))")
        }
    }

    @Test("Range headers: one range of each form, unsatisfiable ones, and everything else ignored")
    func ranges() {
        #expect(ByteRangeRequest(header: nil, length: 100) == .whole)
        #expect(ByteRangeRequest(header: "bytes=0-9", length: 100) == .partial(0..<10))
        #expect(ByteRangeRequest(header: "bytes=90-", length: 100) == .partial(90..<100))
        #expect(ByteRangeRequest(header: "bytes=-10", length: 100) == .partial(90..<100))
        #expect(ByteRangeRequest(header: "bytes=-1000", length: 100) == .partial(0..<100))
        #expect(ByteRangeRequest(header: "bytes=50-5000", length: 100) == .partial(50..<100))
        #expect(ByteRangeRequest(header: "BYTES= 5-6 ", length: 100) == .partial(5..<7))
        #expect(ByteRangeRequest(header: "bytes=100-", length: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=999999999999-", length: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=99999999999999999999999-", length: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=-0", length: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=0-", length: 0) == .unsatisfiable)
        for ignored in ["bytes=9-5", "bytes=a-b", "bytes=0-1,3-4", "pages=1-2", "bytes=", "bytes=-", "bytes=1-2-3", "bytes=+1-2",
                        String(repeating: "bytes=0-1", count: 40)] {
            #expect(ByteRangeRequest(header: ignored, length: 100) == .whole, "\(ignored)")
        }
    }

    @Test("Upload-Metadata: base64 values, bare keys, and malformed headers refused")
    func tusMetadata() throws {
        let parsed = try TusMetadata.parse("filename \(Data("clip é.mp4".utf8).base64EncodedString()),flag, title \(Data("T".utf8).base64EncodedString())")
        #expect(parsed == ["filename": "clip é.mp4", "flag": "", "title": "T"])
        for bad in ["a !!!", "a YQ==,a YQ==", "a YQ== extra", ",", "a\u{1}b YQ==", String(repeating: "k YQ==,", count: 2000)] {
            #expect(throws: TusMetadata.ParseError.self) { try TusMetadata.parse(bad) }
        }
        #expect(HTTPDate.string(from: Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.date(from: "Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
    }

    @Test("HTTP dates: only IMF-fixdate parses; input that made DateFormatter trap (scripts/fuzz) is just nil")
    func httpDates() {
        #expect(HTTPDate.date(from: "Sat, 28 Nov 2026 08:49:37 GMT") == Date(timeIntervalSince1970: 1_795_855_777))
        for bad in ["f\u{593},0,n", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                    "Sun, 06 Nov 1994 08:49:37 GMT ", "Sunday, 06-Nov-94 08:49:37 GMT", "", "Sun, ٠6 Nov 1994 08:49:37 GMT"] {
            #expect(HTTPDate.date(from: bad) == nil, "\(bad.debugDescription)")
        }
        for seconds in [0, 784_111_777, 1_795_855_777, 4_102_444_799] as [TimeInterval] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(HTTPDate.date(from: HTTPDate.string(from: date)) == date)
        }
    }

    @Test("HTTP dates are formatted by arithmetic exactly as DateFormatter formats them, leap days and centuries included")
    func httpDateFormatting() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var samples: [TimeInterval] = [0, -1, 86_399, 86_400, 951_782_400, 951_868_799.999, 4_107_542_400, -2_208_988_800, 1_795_855_777.5]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { samples.append(TimeInterval(Int64.random(in: -2_208_988_800...7_258_118_400, using: &generator))) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(HTTPDate.string(from: date) == formatter.string(from: Date(timeIntervalSince1970: seconds.rounded(.down))), "\(seconds)")
        }
    }

    @Test("playback tokens are bound to a video, a subject, an expiry and the secret")
    func playbackTokens() {
        let tokens = PlaybackTokens(secret: Array("0123456789abcdef0123456789abcdef".utf8), lifetime: .seconds(60))
        let video = VideoID.random(), user = UserID.random()
        let (token, expiresAt) = tokens.mint(videoId: video, subject: user)
        #expect(tokens.verify(token, videoId: video) == PlaybackGrant(videoId: video, subject: user, expiresAt: expiresAt))
        #expect(tokens.verify(token, videoId: .random()) == nil)
        #expect(tokens.verify(token, videoId: video, now: Date().addingTimeInterval(120)) == nil)
        let other = PlaybackTokens(secret: Array("another secret of thirty-two bytes".utf8), lifetime: .seconds(60))
        #expect(other.verify(token, videoId: video) == nil)
        let parts = token.split(separator: ".")
        #expect(tokens.verify("\(Int(parts[0])! + 1000).\(parts[1]).\(parts[2])", videoId: video) == nil)
        #expect(tokens.verify("\(parts[0]).\(UserID.random()).\(parts[2])", videoId: video) == nil)
        #expect(tokens.verify("\(parts[0]).anon.\(parts[2])", videoId: video) == nil)
        for garbage in ["", "a.b.c", "1.2", "..", String(repeating: "x", count: 500)] {
            #expect(tokens.verify(garbage, videoId: video) == nil)
        }
        let anonymous = tokens.mint(videoId: video, subject: nil).token
        #expect(tokens.verify(anonymous, videoId: video)?.subject == nil)
    }
}
