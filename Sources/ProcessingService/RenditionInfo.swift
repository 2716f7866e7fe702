import ClipCutCore
import Foundation
import Transcoder

/// What a clip needs to know of one of its source's renditions, from a single ffprobe run: its
/// picture, whether it has sound, its length, and its video packets around the clip's range.
struct RenditionInfo: Sendable {
    var stream: Packager.EncodedStream
    var hasAudio: Bool
    /// The picture's length in seconds: where its last frame ends. Not the file's length: a
    /// sound that runs on past the picture (AAC's padding, or a longer track) is no part of a
    /// clip, and a range to the picture's end needs no tail encoded.
    var duration: Double
    /// The video packets: all of them when read from the `moov`, the window
    /// ``RenditionPackets/readInterval(around:to:margin:)`` names when listed by ffprobe.
    var packets: RenditionPackets

    /// The rendition's `moov` read through `media`'s byte ranges, or from the file when `input`
    /// is one (``MovieIndex``: no tool run, a few small reads); ffprobe of `input` (``probe(_:around:to:timeLimit:)``) when the
    /// ranges cannot be read or the boxes do not add up.
    static func read(
        named name: String, media: any MediaAccess, input: MediaInput, around from: Double, to: Double, timeLimit: Duration
    ) async throws -> RenditionInfo {
        let index: MovieIndex?
        if case .file(let path) = input { index = MovieIndex.read(file: path) } else { index = try await movieIndex(named: name, media: media) }
        if let index, let info = RenditionInfo(index: index) { return info }
        return try await probe(input, around: from, to: to, timeLimit: timeLimit)
    }

    /// The top-level boxes walked through ranges of at most 64 KiB until the `moov` (at most
    /// 64 MiB, read whole), at most 64 boxes in; `nil` when a read or a box fails.
    static func movieIndex(named name: String, media: any MediaAccess, movieLimit: Int = 64 << 20) async throws -> MovieIndex? {
        let window = 64 << 10
        guard var buffer = try await media.readMedia(named: name, bytes: 0..<window) else { return nil }
        let length = buffer.length
        var start = 0, offset = 0
        for _ in 0..<64 where offset + 8 <= length {
            if offset + min(16, length - offset) > start + buffer.bytes.count {  // the box's header is past what was read
                guard let next = try await media.readMedia(named: name, bytes: offset..<min(length, offset + window)) else { return nil }
                (buffer, start) = (next, offset)
            }
            let header = Array(buffer.bytes[(offset - start)..<min(buffer.bytes.count, offset - start + 16)])
            guard let box = MovieIndex.topLevelBox(header, at: UInt64(offset), fileLength: UInt64(length)) else { return nil }
            guard box.type == "moov" else {
                offset += Int(clamping: box.size)
                continue
            }
            guard box.size - box.header <= UInt64(movieLimit) else { return nil }
            let body = offset + Int(box.header), end = offset + Int(box.size)
            if end <= start + buffer.bytes.count { return MovieIndex.parse(movie: buffer.bytes[(body - start)..<(end - start)]) }
            guard let movie = try await media.readMedia(named: name, bytes: body..<end), movie.bytes.count == end - body else { return nil }
            return MovieIndex.parse(movie: movie.bytes[...])
        }
        return nil
    }

    /// ffprobe of the rendition where `input` says (a granted URL or a file), listing the video
    /// packets around `[from, to)` only.
    static func probe(_ input: MediaInput, around from: Double, to: Double, timeLimit: Duration) async throws -> RenditionInfo {
        let output = try await runTool(Programs.ffprobe, [
            "-v", "error", "-of", "json", "-read_intervals", RenditionPackets.readInterval(around: from, to: to), "-show_entries",
            "stream=index,codec_type,width,height,profile,level,bit_rate,avg_frame_rate,start_time,duration:format=duration:packet=stream_index,pts_time,flags",
        ] + input.arguments, timeLimit: timeLimit)
        return try parse(output)
    }

    /// Reads ffprobe's JSON; a rendition without a picture or a finite, positive length is
    /// unreadable. The length is the picture stream's end (its start and duration), the file's
    /// when the stream does not say.
    static func parse(_ json: Data) throws -> RenditionInfo {
        let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:]
        let streams = object["streams"] as? [[String: Any]] ?? []
        let format = object["format"] as? [String: Any] ?? [:]
        guard let video = streams.first(where: { $0["codec_type"] as? String == "video" }), let index = video["index"] as? Int,
              let duration = MediaProbe.double(video["duration"]).map({ $0 + (MediaProbe.double(video["start_time"]) ?? 0) })
                ?? MediaProbe.double(format["duration"]),
              duration > 0
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

extension RenditionInfo {
    /// What the index says (every video packet, not a window); `nil` without a picture track of
    /// a positive size and a finite, positive end (``MovieIndex/Track/presentationEnd``).
    init?(index: MovieIndex) {
        guard let video = index.video, let picture = Packager.EncodedStream(index: video), let end = video.presentationEnd
        else { return nil }
        stream = picture
        hasAudio = index.hasAudio
        duration = end
        packets = RenditionPackets(packets: zip(video.times, video.isKeyframe).map { (time: $0, isKeyframe: $1) })
    }
}
