import ClipCutCore
import Foundation
import NIOCore
import ServiceSupport

/// What an upload turned out to be once all its bytes were stored.
struct IntakeResult: Sendable, Equatable {
    /// The container the first bytes showed.
    var container: VideoContainer
    /// Bytes stored.
    var size: Int64
    /// Lowercase hex SHA-256 of the bytes.
    var sha256: String
}

/// Passes one upload's bytes on to storage as they arrive, and on the way
///
/// - holds back the first bytes until the container is recognised: anything else is refused
///   with 415 before a byte is stored;
/// - refuses with 413 as soon as the upload grows past its ``UploadAllowance``;
/// - counts the bytes and computes their SHA-256.
///
/// Not `Sendable`: one request's task owns it.
final class SourceIntake {
    private let sink: any ByteSink
    private let allowance: UploadAllowance
    private var held = ByteBuffer()
    private var container: VideoContainer?
    private var hasher = StreamingSHA256()
    private(set) var size: Int64 = 0

    init(sink: any ByteSink, allowance: UploadAllowance) {
        self.sink = sink
        self.allowance = allowance
    }

    /// Accepts the next bytes of the upload.
    func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        size += Int64(buffer.readableBytes)
        if size > allowance.limit {
            try allowance.check(size)
            throw UploadAllowance.tooLarge("The upload exceeds the allowed size.", left: allowance.quotaLeft)
        }
        hasher.update(buffer)
        if container != nil {
            try await sink.write(buffer)
            return
        }
        var buffer = buffer
        held.writeBuffer(&buffer)
        if held.readableBytes >= ContainerSniffer.wantedPrefixLength {
            try await releaseHeldBytes()
        }
    }

    /// Ends the upload: sniffs a short file, refuses an empty one.
    /// - Throws: 400 `empty_upload`, 415 `unsupported_media_type`.
    func finish() async throws -> IntakeResult {
        guard size > 0 else { throw APIError(.badRequest, code: "empty_upload", message: "The upload is empty.") }
        if container == nil { try await releaseHeldBytes() }
        guard let container else { throw Self.unsupported }
        return IntakeResult(container: container, size: size, sha256: hasher.finalize())
    }

    private func releaseHeldBytes() async throws {
        guard let recognised = ContainerSniffer.sniff(held.readableBytesView) else { throw Self.unsupported }
        container = recognised
        let bytes = held
        held = ByteBuffer()
        try await sink.write(bytes)
    }

    /// 415: the bytes are not a video container ClipCut accepts.
    static let unsupported = APIError(
        .unsupportedMediaType, code: "unsupported_media_type",
        message: "The file is not a video in a supported container (MP4, MOV, MKV, WebM, AVI, MPEG-TS, MPEG-PS, FLV, Ogg, ASF).")
}
