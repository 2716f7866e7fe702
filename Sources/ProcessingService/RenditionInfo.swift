import ClipCutCore
import Foundation
import Transcoder

/// What a clip needs to know of one of its source's renditions, from a single ffprobe run: its
/// picture, whether it has sound, and its length.
struct RenditionInfo: Sendable {
    var stream: Packager.EncodedStream
    var hasAudio: Bool
    /// Seconds.
    var duration: Double

    /// ffprobe of the rendition where `input` says (a granted URL or a file).
    static func probe(_ input: MediaInput, timeLimit: Duration) async throws -> RenditionInfo {
        let output = try await runTool(Programs.ffprobe, [
            "-v", "error", "-of", "json", "-show_entries",
            "stream=codec_type,width,height,profile,level,bit_rate,avg_frame_rate:format=duration",
        ] + input.arguments, timeLimit: timeLimit)
        return try parse(output)
    }

    /// Reads ffprobe's JSON; a rendition without a picture or a finite, positive length is unreadable.
    static func parse(_ json: Data) throws -> RenditionInfo {
        let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:]
        let streams = object["streams"] as? [[String: Any]] ?? []
        let format = object["format"] as? [String: Any] ?? [:]
        guard let video = streams.first(where: { $0["codec_type"] as? String == "video" }),
              let duration = (format["duration"] as? String).flatMap(Double.init), duration.isFinite, duration > 0
        else { throw JobFailure.permanent("The source video's rendition could not be read.") }
        let stream = Packager.EncodedStream(
            width: video["width"] as? Int ?? 0, height: video["height"] as? Int ?? 0, profile: video["profile"] as? String,
            level: video["level"] as? Int, bitRate: (video["bit_rate"] as? String).flatMap { Int($0) },
            frameRate: MediaProbe.frameRate(video["avg_frame_rate"] as? String) ?? 25)
        return RenditionInfo(stream: stream, hasAudio: streams.contains { $0["codec_type"] as? String == "audio" }, duration: duration)
    }
}
