/// A video container recognised from the first bytes of a file.
public enum VideoContainer: String, Sendable, CaseIterable {
    /// ISO base media (MP4, M4V, 3GP) with an `ftyp` box.
    case mp4
    /// QuickTime (`ftypqt  ` or a leading `moov`/`mdat`/`wide`/`free` atom).
    case quicktime
    /// Matroska or WebM (EBML header).
    case matroska
    /// AVI (`RIFF....AVI `).
    case avi
    /// MPEG transport stream (sync byte 0x47 every 188 bytes).
    case mpegTS
    /// MPEG program stream (pack header 00 00 01 BA).
    case mpegPS
    /// Flash video (`FLV`).
    case flv
    /// Ogg (`OggS`), e.g. Theora.
    case ogg
    /// Advanced Systems Format (WMV).
    case asf

    /// The media type to store with a source of this container.
    public var mediaType: String {
        switch self {
        case .mp4: "video/mp4"
        case .quicktime: "video/quicktime"
        case .matroska: "video/x-matroska"
        case .avi: "video/x-msvideo"
        case .mpegTS: "video/mp2t"
        case .mpegPS: "video/mpeg"
        case .flv: "video/x-flv"
        case .ogg: "video/ogg"
        case .asf: "video/x-ms-asf"
        }
    }

    /// The container whose ``mediaType`` is `mediaType` (what upload-service stored), if any.
    public init?(mediaType: String) {
        guard let container = Self.allCases.first(where: { $0.mediaType == mediaType }) else { return nil }
        self = container
    }

    /// The ffmpeg demuxer that reads this container (`-f`): a source read over the network is
    /// opened with it forced, so no other demuxer (a playlist that opens further URLs) can claim
    /// the bytes.
    public var demuxer: String {
        switch self {
        case .mp4, .quicktime: "mov"
        case .matroska: "matroska"
        case .avi: "avi"
        case .mpegTS: "mpegts"
        case .mpegPS: "mpeg"
        case .flv: "flv"
        case .ogg: "ogg"
        case .asf: "asf"
        }
    }
}

/// Recognises video containers by their magic bytes, before a byte is stored.
///
/// It only says whether the start of a file looks like a container ClipCut accepts; whether the
/// file really decodes is ffprobe's job in processing-service.
public enum ContainerSniffer {
    /// How many leading bytes ``sniff(_:isComplete:)`` wants (an MPEG-TS check needs three packets).
    public static let wantedPrefixLength = 3 * 188 + 1

    /// The container the bytes start with, or `nil` when they match none.
    ///
    /// - Parameters:
    ///   - prefix: The first bytes of the file (up to ``wantedPrefixLength``; fewer only when the
    ///     file is shorter).
    public static func sniff(_ prefix: some Collection<UInt8>) -> VideoContainer? {
        let bytes = Array(prefix.prefix(wantedPrefixLength))
        guard bytes.count >= 4 else { return nil }
        func ascii(_ offset: Int, _ text: String) -> Bool {
            let expected = Array(text.utf8)
            guard bytes.count >= offset + expected.count else { return false }
            return Array(bytes[offset..<offset + expected.count]) == expected
        }
        if bytes.count >= 12, ascii(4, "ftyp") {
            return ascii(8, "qt  ") ? .quicktime : .mp4
        }
        if bytes.count >= 8, ["moov", "mdat", "wide", "free", "skip", "pnot"].contains(where: { ascii(4, $0) }) {
            let size = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            if size == 1 || size >= 8 { return .quicktime }
        }
        if bytes[0...3] == [0x1A, 0x45, 0xDF, 0xA3] { return .matroska }
        if bytes.count >= 12, ascii(0, "RIFF"), ascii(8, "AVI ") { return .avi }
        if ascii(0, "FLV"), bytes[3] == 1 { return .flv }
        if ascii(0, "OggS") { return .ogg }
        if bytes.count >= 16, bytes[0..<16] == [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C] {
            return .asf
        }
        if bytes[0...3] == [0x00, 0x00, 0x01, 0xBA] { return .mpegPS }
        if isTransportStream(bytes, packetSize: 188) || isTransportStream(bytes, packetSize: 192, offset: 4) { return .mpegTS }
        return nil
    }

    /// Sync bytes at every packet start the prefix holds, and at least two packets.
    private static func isTransportStream(_ bytes: [UInt8], packetSize: Int, offset: Int = 0) -> Bool {
        var position = offset
        var packets = 0
        while position < bytes.count {
            guard bytes[position] == 0x47 else { return false }
            packets += 1
            position += packetSize
        }
        return packets >= 2
    }
}
