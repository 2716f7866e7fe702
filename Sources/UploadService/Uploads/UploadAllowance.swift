import ClipCutCore
import Foundation
import HTTPTypes
import Hummingbird
import ServiceSupport

/// How many bytes one upload of a user may still bring: the smaller of the maximum file size
/// and what is left of the user's quota.
struct UploadAllowance: Sendable {
    /// Bytes the user may still store.
    var quotaLeft: Int64
    /// The largest single upload.
    var maximumFileSize: Int64

    /// The most this upload may be.
    var limit: Int64 { max(0, min(quotaLeft, maximumFileSize)) }

    /// 413 when `length` is more than allowed, saying how much is left.
    func check(_ length: Int64) throws {
        if length > maximumFileSize {
            throw Self.tooLarge("The file is larger than the maximum of \(maximumFileSize) bytes.", left: quotaLeft)
        }
        if length > quotaLeft {
            throw Self.tooLarge("The upload exceeds your storage quota: \(max(0, quotaLeft)) bytes are left.", left: quotaLeft)
        }
    }

    /// 413 `payload_too_large` with `ClipCut-Quota-Remaining`.
    static func tooLarge(_ message: String, left: Int64) -> APIError {
        var headers = HTTPFields()
        if let name = HTTPField.Name("ClipCut-Quota-Remaining") { headers[name] = String(max(0, left)) }
        return APIError(.contentTooLarge, code: "payload_too_large", message: message, headers: headers)
    }
}
