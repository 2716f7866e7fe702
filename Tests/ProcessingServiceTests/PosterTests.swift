import ClipCutCore
import Foundation
import Testing
import Transcoder

@testable import ProcessingService

/// The poster and the storyboard in one ffmpeg run, the poster at a keyframe (decoded alone)
/// from a tenth of the video on.
@Suite("Poster and storyboard (real ffmpeg)", .serialized)
struct PosterTests {
    @Test("the poster is the first keyframe from a tenth in, the very frame an exact seek there gives; the sprite is written by the same run")
    func posterAtKeyframe() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("poster-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let best = "\(work)/best.mp4", small = "\(work)/small.mp4"
        try await SmartCutTests.makeRendition(SmartCutTests.rungs[0], at: best)
        try await SmartCutTests.makeRendition(SmartCutTests.rungs[1], at: small)
        let video = try #require(MovieIndex.read(file: best)?.video)
        // A tenth of 12 s is 1.2 s; the keyframes are 2 s apart.
        let keyframe = try #require(Packager.posterKeyframe(video, duration: 12))
        #expect(abs(keyframe - 2) < 0.0001)

        let poster = "\(work)/poster.jpg", sprite = "\(work)/sprite.jpg", reference = "\(work)/reference.jpg"
        let board = Storyboard(duration: 12, width: 320, height: 180)
        _ = try await runTool(Programs.ffmpeg, Packaging.images(
            poster: best, at: keyframe, atKeyframe: true, posterOutput: poster, storyboard: board, storyboardInput: small, spriteOutput: sprite),
            timeLimit: .seconds(60))
        _ = try await runTool(Programs.ffmpeg, [
            "-nostdin", "-v", "error", "-ss", "2.000", "-i", best, "-frames:v", "1", "-vf", "scale='min(1280,iw)':-2", "-q:v", "3", reference,
        ], timeLimit: .seconds(60))
        #expect(FileManager.default.contents(atPath: poster) == FileManager.default.contents(atPath: reference))
        #expect((FileManager.default.contents(atPath: sprite)?.count ?? 0) > 1000)

        // No keyframe between a tenth in and the end: none, and the poster is taken a tenth in.
        #expect(Packager.posterKeyframe(video, duration: 1.9) == nil)
        #expect(Packager.posterKeyframe(nil, duration: 12) == nil)
        #expect(abs(Packager.posterTarget(duration: 12) - 1.2) < 1e-9 && Packager.posterTarget(duration: 0.05) == 0)
    }
}
