import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import ServiceSupport

/// The fields of an OpenAI-style transcription request, with the file part streamed to a
/// temporary file (never held in memory).
struct TranscriptionForm: Sendable {
    var fileURL: URL?
    var fileBytes = 0
    var model: String?
    var language: String?
    var responseFormat: String?
    var timestampGranularities: [String] = []

    /// Largest text field accepted.
    static let maximumFieldBytes = 4096

    /// Reads the multipart body. The temporary file is removed here if reading fails; on success
    /// the caller removes it.
    static func read(
        _ request: Request, into directory: URL, maximumFileBytes: Int
    ) async throws -> TranscriptionForm {
        guard let contentType = request.headers[.contentType],
              let boundary = MultipartReader.boundary(fromContentType: contentType) else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "Send the audio as multipart/form-data with a file part.")
        }
        let reader: MultipartReader
        do {
            reader = try MultipartReader(boundary: boundary)
        } catch {
            throw APIError.badRequest("The multipart boundary is not valid.")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var form = TranscriptionForm()
        var current: String?
        var field: [UInt8] = []
        var file: FileHandle?
        defer { try? file?.close() }
        do {
            try await reader.read(request.body) { event in
                switch event {
                case .partStart(let headers):
                    current = headers.name
                    field = []
                    if headers.name == "file" {
                        guard form.fileURL == nil else { throw APIError.badRequest("Send one file part.") }
                        let url = directory.appendingPathComponent("upload-\(UUID().uuidString)")
                        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw APIError.internalError }
                        form.fileURL = url
                        file = try FileHandle(forWritingTo: url)
                    }
                case .bytes(let bytes):
                    if current == "file", let handle = file {
                        form.fileBytes += bytes.readableBytes
                        guard form.fileBytes <= maximumFileBytes else {
                            throw APIError(.contentTooLarge, code: "file_too_large", message: "The file is larger than \(maximumFileBytes) bytes.")
                        }
                        let data = Data(bytes.readableBytesView)
                        try await NIOThreadPool.singleton.runIfActive { try handle.write(contentsOf: data) }
                    } else {
                        field += bytes.readableBytesView
                        guard field.count <= maximumFieldBytes else { throw APIError.badRequest("A form field is too long.") }
                    }
                case .partEnd:
                    let value = String(decoding: field, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    switch current {
                    case "model": form.model = value
                    case "language":
                        let code = value.lowercased()
                        guard code.isEmpty || code == "auto" || ((2...3).contains(code.count) && code.allSatisfy({ $0 >= "a" && $0 <= "z" })) else {
                            throw APIError(.badRequest, code: "unsupported_language", message: "language must be an ISO 639-1 code such as en.")
                        }
                        form.language = code.isEmpty ? nil : code
                    case "response_format": form.responseFormat = value
                    case "timestamp_granularities[]", "timestamp_granularities":
                        guard value == "segment" || value == "word" else {
                            throw APIError(.badRequest, code: "invalid_timestamp_granularities", message: "timestamp_granularities[] must be segment or word.")
                        }
                        form.timestampGranularities.append(value)
                    default: break
                    }
                    current = nil
                }
            }
        } catch let error as MultipartError {
            form.removeFile()
            throw APIError(.badRequest, code: "invalid_multipart", message: "The multipart body is malformed: \(error.reason).")
        } catch {
            form.removeFile()
            throw error
        }
        return form
    }

    func removeFile() {
        if let fileURL { try? FileManager.default.removeItem(at: fileURL) }
    }
}
