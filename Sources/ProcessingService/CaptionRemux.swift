import ClipCutCore
import Foundation
import Logging
import Redis
import Transcoder

/// The owner changed a caption track: every MP4 download of the video is re-muxed (no re-encode)
/// with the tracks upload-service now holds, the speech's own language first.
struct CaptionRemux: Sendable {
    let media: any MediaAccess
    let scratchDirectory: String
    let logger: Logger

    /// Re-muxes the downloads of `videoId`; a deleted or unfinished video is left alone.
    func run(videoId: VideoID) async throws {
        guard let video = try await media.video(videoId), video.status == .ready else { return }
        let work = try Scratch(root: scratchDirectory, videoId: videoId)
        defer { work.remove() }
        var tracks: [(path: String, language: String, title: String?)] = []
        for track in video.captionTracks ?? [] {
            let path = work.path("\(track.language).vtt")
            if try await media.downloadMedia(named: MediaLayout.captions(videoId, language: track.language), to: path) {
                tracks.append((path, track.language, track.label))
            }
        }
        for quality in video.renditions ?? [] {
            let name = MediaLayout.renditionMP4(videoId, quality: quality)
            let original = work.path("\(quality).mp4"), remuxed = work.path("\(quality).remuxed.mp4")
            guard try await media.downloadMedia(named: name, to: original) else { continue }
            let limit = Duration.seconds(600)
            let arguments = tracks.isEmpty
                ? Packaging.mp4WithoutCaptions(rung: original, output: remuxed)
                : Packaging.mp4WithCaptions(rung: original, tracks: tracks, output: remuxed)
            _ = try await runTool(Programs.ffmpeg, arguments, timeLimit: limit)
            let stream = try await Packager.inspect(remuxed, timeLimit: limit)
            var metadata = ["quality": quality, "width": String(stream.width), "height": String(stream.height)]
            if let bitRate = stream.bitRate { metadata["bitrate"] = String(bitRate) }
            _ = try await media.store(remuxed, as: name, videoId: videoId, metadata: metadata)
        }
        logger.info("downloads re-muxed with the edited captions", metadata: [
            "videoId": "\(videoId)", "tracks": "\(tracks.map(\.language))", "renditions": "\(video.renditions ?? [])",
        ])
    }
}
