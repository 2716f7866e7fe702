import Foundation

extension MediaProbe {
    /// Parses `ffprobe -of json -show_format -show_streams` output.
    ///
    /// Numbers outside a sane range (non-finite, negative, zero where zero means nothing, or
    /// absurd) are ignored with a note; what cannot be ignored ends the file with a ``Rejection``.
    /// - Throws: ``Rejection/damaged`` when the report is unreadable or a video stream has no usable
    ///   size; ``Rejection/notAVideo`` when there is neither a video nor an audio stream. A file
    ///   that declares no usable duration gets ``duration`` 0: measure it (``hasDuration``).
    public init(ffprobeJSON data: Data) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw Rejection.damaged }
        let streams = (root["streams"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
        let format = root["format"] as? [String: Any] ?? [:]
        var notes: [String] = []
        formatName = String((format["format_name"] as? String ?? "").prefix(200))
        bitRate = Self.positiveInt(format["bit_rate"])
        streamCount = max(streams.count, Self.positiveInt(format["nb_streams"]).map { min($0, 1_000_000) } ?? 0)

        let videoStream = streams.first { Self.codecType($0) == "video" && !Self.isAttachedPicture($0) }
        if let videoStream {
            guard let codec = videoStream["codec_name"] as? String, let width = Self.positiveInt(videoStream["width"]),
                  let height = Self.positiveInt(videoStream["height"])
            else { throw Rejection.damaged }  // a video stream ffprobe could not size cannot be decoded
            let declaredRate = [videoStream["avg_frame_rate"], videoStream["r_frame_rate"]].lazy
                .compactMap { Self.frameRate($0 as? String) }.first { $0 >= 1 }
            if declaredRate == nil {
                notes.append("frame rate \(Self.text(videoStream["avg_frame_rate"]))/\(Self.text(videoStream["r_frame_rate"])) ignored: 25 assumed")
            }
            var sampleAspectRatio = Self.ratio(videoStream["sample_aspect_ratio"] as? String) ?? 1
            if !(1.0 / 16...16).contains(sampleAspectRatio) {
                notes.append("sample aspect ratio \(Self.text(videoStream["sample_aspect_ratio"])) ignored")
                sampleAspectRatio = 1
            }
            video = VideoStream(
                codec: String(codec.prefix(64)), width: width, height: height, rotation: Self.rotation(videoStream, notes: &notes),
                sampleAspectRatio: sampleAspectRatio, frameRate: declaredRate ?? 25, frameRateIsAssumed: declaredRate == nil,
                bitRate: Self.positiveInt(videoStream["bit_rate"]), pixelFormat: videoStream["pix_fmt"] as? String)
        }
        let audioStream = streams.first { Self.codecType($0) == "audio" && $0["codec_name"] is String }
        if let audioStream, let audioCodec = audioStream["codec_name"] as? String {
            var channels = Self.positiveInt(audioStream["channels"]) ?? 2
            if channels > 64 { notes.append("\(channels) audio channels: 2 assumed"); channels = 2 }
            var sampleRate = Self.positiveInt(audioStream["sample_rate"]) ?? 48000
            if sampleRate > 768_000 { notes.append("sample rate \(sampleRate) ignored"); sampleRate = 48000 }
            audio = AudioStream(
                codec: String(audioCodec.prefix(64)), profile: audioStream["profile"] as? String, channels: channels,
                sampleRate: sampleRate, bitRate: Self.positiveInt(audioStream["bit_rate"]))
        }
        guard video != nil || audio != nil else { throw Rejection.notAVideo }
        // The container's duration, else the stream's: finite and positive only.
        let candidates = [format["duration"], (videoStream ?? audioStream)?["duration"]]
        duration = candidates.lazy.compactMap(Self.double).first(where: { $0 > 0 }) ?? 0
        if duration == 0 { notes.append("duration \(Self.text(format["duration"])) ignored") }
        self.notes = notes
    }

    private static func codecType(_ stream: [String: Any]) -> String? { stream["codec_type"] as? String }

    private static func isAttachedPicture(_ stream: [String: Any]) -> Bool {
        guard let flag = (stream["disposition"] as? [String: Any])?["attached_pic"] else { return false }
        return positiveInt(flag) == 1
    }

    /// Rotation from the display matrix side data (ffmpeg 5+) or the legacy `rotate` tag,
    /// normalised to 0, 90, 180 or 270 (clockwise, as players apply it). A value that is not a
    /// finite number of degrees within one turn either way is ignored (0) with a note.
    private static func rotation(_ stream: [String: Any], notes: inout [String]) -> Int {
        var degrees: Double?
        var raw: Any?
        if let sideData = stream["side_data_list"] as? [Any],
           let matrix = sideData.compactMap({ $0 as? [String: Any] }).first(where: { ($0["side_data_type"] as? String) == "Display Matrix" }),
           matrix["rotation"] != nil {
            raw = matrix["rotation"]
            degrees = double(raw).map { -$0 }  // ffprobe reports counter-clockwise
        } else if let tags = stream["tags"] as? [String: Any],
                  let tag = tags.first(where: { $0.key.lowercased() == "rotate" })?.value {
            raw = tag
            degrees = double(tag)
        }
        guard raw != nil else { return 0 }
        guard let degrees, abs(degrees) <= 360 else {
            notes.append("rotation \(text(raw)) ignored")
            return 0
        }
        let quarterTurns = Int((degrees / 90).rounded())  // |degrees| <= 360: at most 4
        return (quarterTurns * 90 % 360 + 360) % 360
    }

    /// `a/b` or `a:b` with both parts finite and positive; or a plain positive number.
    static func ratio(_ text: String?) -> Double? {
        guard let text, text.utf8.count <= 64 else { return nil }
        let parts = text.split(separator: text.contains(":") ? ":" : "/", omittingEmptySubsequences: false)
        let value: Double?
        if parts.count == 2 {
            guard let a = Double(parts[0]), let b = Double(parts[1]), a > 0, b > 0 else { return nil }
            value = a / b
        } else {
            value = Double(text)
        }
        guard let value, value.isFinite, value > 0 else { return nil }
        return value
    }

    /// A whole number above 0 that fits an `Int32` (sizes, rates, channel counts), else `nil`.
    static func positiveInt(_ value: Any?) -> Int? {
        guard let number = double(value), number >= 1, number <= Double(Int32.max), let whole = Int(exactly: number.rounded(.down))
        else { return nil }
        return whole
    }

    /// A finite number written as a JSON number or a string, else `nil`.
    public static func double(_ value: Any?) -> Double? {
        let number: Double?
        switch value {
        case let text as String: number = text.utf8.count <= 64 ? Double(text) : nil
        case let value as NSNumber: number = value.doubleValue
        default: number = nil
        }
        guard let number, number.isFinite else { return nil }
        return number
    }

    /// A value as it appeared, short, for a note.
    private static func text(_ value: Any?) -> String {
        value.map { String(String(describing: $0).prefix(32)) } ?? "none"
    }
}
