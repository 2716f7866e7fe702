import ClipCutCore
import Foundation
import NIOCore

/// A video's caption tracks in the media bucket, as the player and HLS read them:
/// `captions/<language>.vtt`, `hls/subs/<language>.vtt` with its one-segment playlist, and the
/// master playlist's `subs` group.
struct CaptionTrackStore: Sendable {
    let storage: any MediaStorage
    let video: Video

    /// Stores the track and lists it in the HLS master.
    func write(language: String, vtt: String, isTranslation: Bool) async throws {
        try await put(vtt, as: MediaLayout.captions(video.id, language: language))
        try await put(vtt, as: MediaLayout.hlsFile(video.id, path: "subs/\(language).vtt"))
        try await put(HLSSubtitleGroup.playlist(vttURI: "\(language).vtt", duration: video.durationSeconds ?? 0),
                      as: MediaLayout.hlsFile(video.id, path: "subs/\(language).m3u8"))
        let name = Locale(identifier: "en").localizedString(forLanguageCode: language) ?? language
        try await updateMaster {
            HLSSubtitleGroup.setting(
                language: language, name: isTranslation ? "\(name) (translation)" : name,
                isDefault: language == (video.captionLanguage ?? language) && video.burnSubtitles == false, in: $0)
        }
    }

    /// Removes the track; `false` when there was none.
    func delete(language: String) async throws -> Bool {
        let existed = try await storage.deleteMediaFile(named: MediaLayout.captions(video.id, language: language))
        try await storage.deleteMediaFile(named: MediaLayout.hlsFile(video.id, path: "subs/\(language).vtt"))
        try await storage.deleteMediaFile(named: MediaLayout.hlsFile(video.id, path: "subs/\(language).m3u8"))
        try await updateMaster { HLSSubtitleGroup.removing(language: language, from: $0) }
        return existed
    }

    /// The languages that have a track.
    func languages() async throws -> [String] {
        let prefix = "\(video.id)/captions/"
        return try await storage.mediaFiles(of: video.id).compactMap { file in
            guard file.name.hasPrefix(prefix), file.name.hasSuffix(".vtt") else { return nil }
            return String(file.name.dropFirst(prefix.count).dropLast(4))
        }.sorted()
    }

    /// The cues of a stored track (empty when there is none or it does not read).
    func cues(language: String) async throws -> [CaptionCue] {
        guard let file = try await storage.mediaFile(named: MediaLayout.captions(video.id, language: language)) else { return [] }
        return (try? CaptionFile.parse(try await storage.readAll(file), duration: nil)) ?? []
    }

    private func updateMaster(_ change: (String) -> String) async throws {
        let name = MediaLayout.hlsMaster(video.id)
        guard let file = try await storage.mediaFile(named: name) else { return }
        let master = String(decoding: try await storage.readAll(file), as: UTF8.self)
        let updated = change(master)
        if updated != master { try await put(updated, as: name) }
    }

    private func put(_ text: String, as name: String) async throws {
        _ = try await storage.storeMedia(named: name, videoId: video.id, metadata: [:]) { sink in
            try await sink.write(ByteBuffer(string: text))
        }
    }
}
