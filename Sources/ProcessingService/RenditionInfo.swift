import ClipCutCore
import Foundation
import Transcoder

/// What a clip needs to know of one of its source's renditions, from a single ffprobe run: its
/// picture, whether it has sound, its length, and its video packets around the clip's range.
struct RenditionInfo: Sendable {
    var stream: Packager.EncodedStream
    var hasAudio: Bool
    /// Seconds.
    var duration: Double
    /// The video packets of the window ``RenditionPackets/readInterval(around:to:margin:)`` names.
    var packets: RenditionPackets

    /// ffprobe of the rendition where `input` says (a granted URL or a file), listing the video
    /// packets around `[from, to)` only.
    static func probe(_ input: MediaInput, around from: Double, to: Double, timeLimit: Duration) async throws -> RenditionInfo {
        let output = try await runTool(Programs.ffprobe, [
            "-v", "error", "-of", "json", "-read_intervals", RenditionPackets.readInterval(around: from, to: to), "-show_entries",
            "stream=index,codec_type,width,height,profile,level,bit_rate,avg_frame_rate:format=duration:packet=stream_index,pts_time,flags",
        ] + input.arguments, timeLimit: timeLimit)
        return try parse(output)
    }

    /// Reads ffprobe's JSON; a rendition without a picture or a finite, positive length is unreadable.
    static func parse(_ json: Data) throws -> RenditionInfo {
        let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:]
        let streams = object["streams"] as? [[String: Any]] ?? []
        let format = object["format"] as? [String: Any] ?? [:]
        guard let video = streams.first(where: { $0["codec_type"] as? String == "video" }), let index = video["index"] as? Int,
              let duration = (format["duration"] as? String).flatMap(Double.init), duration.isFinite, duration > 0
        else { throw JobFailure.permanent("The source video's rendition could not be read.") }
        let stream = Packager.EncodedStream(ffprobe: video)
        let packets = (object["packets"] as? [[String: Any]] ?? []).compactMap { packet -> (time: Double, isKeyframe: Bool)? in
            guard packet["stream_index"] as? Int == index, let time = (packet["pts_time"] as? String).flatMap(Double.init) else { return nil }
            return (time, (packet["flags"] as? String)?.hasPrefix("K") == true)
        }
        return RenditionInfo(
            stream: stream, hasAudio: streams.contains { $0["codec_type"] as? String == "audio" }, duration: duration,
            packets: RenditionPackets(packets: packets))
    }
}
