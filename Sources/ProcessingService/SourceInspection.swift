import ClipCutCore
import Foundation
import Transcoder

/// What processing-service learns about a source before it encodes it: ffprobe's report, read as
/// untrusted input and checked against the policy, and the source's keyframes.
enum SourceInspection {
    /// How long ffprobe may take over one file (it reads headers and a few packets; seconds normally).
    static let probeTimeLimit: Duration = .seconds(60)

    /// ffprobe's view of the source, checked against `policy`. A file ffprobe cannot read is
    /// damaged (it passed the container check at upload, so it claimed to be media); a readable
    /// file without video or audio is not a video; a file past a limit names the limit.
    static func probe(_ input: MediaInput, policy: MediaPolicy) async throws -> MediaProbe {
        let output: Data
        do {
            output = try await runTool(
                Programs.ffprobe, ["-v", "error", "-of", "json", "-show_format", "-show_streams"] + input.arguments,
                timeLimit: probeTimeLimit, outputLimit: 4 << 20)
        } catch let failure as ToolFailure {
            try Task.checkCancellation()  // a killed ffprobe is a shutdown, not a verdict
            if let unreachable = sourceUnreachable(failure.detail) { throw unreachable }
            if failure.timedOut { throw JobFailure.permanent("the file could not be examined within \(probeTimeLimit.components.seconds) s") }
            throw JobFailure.permanent(MediaProbe.Rejection.damaged.description)
        } catch {
            try Task.checkCancellation()
            throw JobFailure.transient("The source could not be examined.")
        }
        do {
            var probe = try MediaProbe(ffprobeJSON: output)
            if !probe.hasDuration, let measured = try await measureDuration(input, readAtMost: policy.maximumDuration + 1) {
                probe.duration = measured
                probe.notes.append(String(format: "duration measured: %.3f s", measured))
            }
            try policy.check(probe)
            return probe
        } catch let rejection as MediaProbe.Rejection {
            throw JobFailure.permanent(rejection.description)
        }
    }

    /// The length of a file that declares none (or an absurd one), measured by reading its
    /// packets without decoding them (`-c copy` to nowhere): the last timestamp ffmpeg reached.
    /// At most `policy`'s longest duration is read, so the pass is bounded too.
    static func measureDuration(_ input: MediaInput, readAtMost seconds: Double) async throws -> Double? {
        let output: Data
        do {
            output = try await runTool(Programs.ffmpeg, [
                "-nostdin", "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
            ] + input.arguments + [
                "-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy", "-t", String(format: "%.0f", seconds), "-f", "null", "-",
            ], timeLimit: .seconds(120))
        } catch is ToolFailure {
            try Task.checkCancellation()
            return nil
        }
        var parser = ProgressParser()
        var longest: Double = 0
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            if let snapshot = parser.consume(line), snapshot.outTime.isFinite { longest = max(longest, snapshot.outTime) }
        }
        return longest > 0 ? longest : nil
    }

    /// Keyframe times of the source's video, read from the container (no decoding).
    static func keyframeTimes(_ input: MediaInput, duration: Double) async throws -> [Double] {
        // Packets, not frames: the keyframe flag is in the container, nothing is decoded (decoding
        // every keyframe of a 5-minute 1080p source took longer than the rest of the way to
        // its first playable segment).
        let output = try await runTool(Programs.ffprobe, [
            "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0",
        ] + input.arguments, timeLimit: MediaPolicy.toolTimeLimit(duration: duration, factor: 0.5), outputLimit: 256 << 20)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { line -> Double? in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 2, fields[1].hasPrefix("K"), let time = Double(fields[0].trimmingCharacters(in: .whitespaces)) else { return nil }
            return time.isFinite ? time : nil
        }.sorted()
    }

    /// Whether the source's keyframes can be kept in a copied rung: the first at 0, none further
    /// apart than 10 s (segments would be too long).
    static func keyframesSuitForCopy(_ times: [Double], duration: Double) -> Bool {
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 } + [duration - (times.last ?? 0)]
        guard times.first == 0, let widest = gaps.max() else { return false }
        return widest <= 10
    }

    /// The job's failure when a tool's errors say the source could not be fetched (the network
    /// or upload-service, not the file): missing for good (404) or worth a retry; `nil` when the
    /// transport was fine and the errors are about the file.
    static func sourceUnreachable(_ errors: String) -> JobFailure? {
        if MediaInput.sourceMissing(errors) { return .permanent("The uploaded file is missing.") }
        if MediaInput.transportFailed(errors) { return .transient("The uploaded file could not be read.") }
        return nil
    }

    /// Whether ffmpeg's errors say the input ran out or broke: the file is damaged or cut off,
    /// and another attempt would end the same way.
    static func inputWasDamaged(_ errors: String) -> Bool {
        let signs = ["partial file", "Invalid data found when processing input", "moov atom not found", "EBML header parsing failed",
                     "Truncating packet", "End of file", "corrupt input packet", "Error while decoding"]
        return signs.contains { errors.contains($0) }
    }

    /// One line about the source for the processing log.
    static func describe(_ probe: MediaProbe, _ rungs: [Rung]) -> String {
        let audio = probe.audio.map { "\($0.codec) \($0.channels) ch" } ?? "no audio"
        let out = rungs.map { "\($0.name) \($0.width)x\($0.height)" }.joined(separator: ", ")
        guard let video = probe.video else {
            return String(format: "audio only (%@), %.1f s → a still picture with the sound: %@", audio, probe.duration, out)
        }
        return String(format: "%@ %dx%d (shown %dx%d, rotation %d) %.2f fps, %.1f s, %@ → %@", video.codec, video.width, video.height,
                      video.displayWidth, video.displayHeight, video.rotation, video.frameRate, probe.duration, audio, out)
    }
}
