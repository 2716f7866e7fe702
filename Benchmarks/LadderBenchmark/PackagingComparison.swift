import Foundation
import Synchronization
import Transcoder

/// `LadderBenchmark SOURCE WORKDIR --packaging`: the ladder as it was before segments were
/// published while encoding (every rung to MP4 in one ffmpeg, copied rungs inside it too, then
/// each rung remuxed into 4 s HLS segments) against the ladder now (a copied rung cut into 2 s HLS
/// segments first, the other rungs encoded straight into HLS segments, then each rung's MP4 by
/// remux of its joined segments), on the same source in one run: wall and CPU of every ffmpeg,
/// ffprobe and cat the two ways run.
/// `nowFirst`: run the new way first (rounds alternate, so neither way always runs on a cooler machine).
func comparePackaging(source: String, work: String, probe: MediaProbe, rungs: [Rung], options: EncodingOptions, nowFirst: Bool = false) throws -> (before: Measured, now: Measured) {
    let before = "\(work)/before", now = "\(work)/now"
    for directory in [before, now] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }

    var old = Measured(wall: 0, cpu: 0), new = Measured(wall: 0, cpu: 0)
    let verbose = ProcessInfo.processInfo.environment["LADDER_BENCH_STEPS"] != nil
    func add(_ measured: Measured, to total: inout Measured, _ step: @autoclosure () -> String = "") {
        if verbose { print(String(format: "  step %@ wall=%.2f cpu=%.2f", step(), measured.wall, measured.cpu)) }
        total.wall += measured.wall
        total.cpu += measured.cpu
    }
    func runBefore() throws {
    let mp4Ladder = LadderCommand(source: .file(source), probe: probe, rungs: rungs, outputDirectory: before, options: options)
    add(try run("ffmpeg", mp4Ladder.arguments).0, to: &old, "MP4 ladder")
    for rung in rungs {
        let directory = "\(before)/hls-\(rung.name)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        add(try run("ffmpeg", [
            "-nostdin", "-y", "-hide_banner", "-loglevel", "error", "-i", "\(before)/\(rung.name).mp4", "-map", "0:v", "-map", "0:a?",
            "-c", "copy", "-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
            "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", "\(directory)/seg_%05d.m4s", "\(directory)/index.m3u8",
        ]).0, to: &old, "HLS remux \(rung.name)")
        add(try inspect("\(before)/\(rung.name).mp4"), to: &old, "inspect \(rung.name)")
    }
    }

    let firstSegment = Mutex<Double?>(nil)
    func runNow() throws {
    for rung in rungs where rung.isRemux {
        let directory = "\(now)/hls-\(rung.name)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        add(try run("ffmpeg", HLSSegmenting.copy(source: .file(source), hasAudio: probe.audio != nil, directory: directory)).0, to: &new, "copy \(rung.name)")
    }
    var nowOptions = options  // as processing-service encodes: a 1 s first segment
    nowOptions.firstKeyframeSeconds = HLSSegmenting.firstSegmentSeconds
    let hlsLadder = LadderCommand(source: .file(source), probe: probe, rungs: rungs, outputDirectory: now, options: nowOptions,
                                  hlsSegmentSeconds: HLSSegmenting.segmentSeconds)
    for directory in hlsLadder.outputs.values { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    if !hlsLadder.outputs.isEmpty {
        // Watch for the first segment of every encoded rung, as the publisher does (every 200 ms).
        let start = Date()
        let watcher = Thread {
            while firstSegment.withLock({ $0 }) == nil && Date().timeIntervalSince(start) < 600 {
                let all = hlsLadder.outputs.values.allSatisfy { directory in
                    ((try? String(contentsOfFile: "\(directory)/index.m3u8", encoding: .utf8)) ?? "").contains(".m4s")
                }
                if all { firstSegment.withLock { $0 = Date().timeIntervalSince(start) } } else { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
        watcher.start()
        add(try run("ffmpeg", hlsLadder.arguments).0, to: &new, "HLS ladder")
    }
    for rung in rungs {
        let directory = "\(now)/hls-\(rung.name)"
        let playlist = HLSMediaPlaylist.parse(try String(contentsOfFile: "\(directory)/index.m3u8", encoding: .utf8))
        let files = ([playlist.initURI] + playlist.segments.map(\.uri)).map { "'\(directory)/\($0)'" }.joined(separator: " ")
        let joined = "\(now)/\(rung.name).joined.mp4"
        add(try run("sh", ["-c", "cat \(files) > '\(joined)'"]).0, to: &new, "join \(rung.name)")
        // As the packager does: from the boxes, no tool run (counted in this process's CPU below).
        var usageBefore = rusage(), usageAfter = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usageBefore)
        let started = Date()
        let initBytes = [UInt8](FileManager.default.contents(atPath: "\(directory)/\(playlist.initURI)") ?? Data())
        let firstBytes = [UInt8](FileManager.default.contents(atPath: "\(directory)/\(playlist.segments.first?.uri ?? "")") ?? Data())
        guard let delay = FragmentTiming.pictureDelay(initSegment: initBytes, firstSegment: firstBytes) else {
            FileHandle.standardError.write(Data("no timing in the \(rung.name) segments\n".utf8))
            exit(1)
        }
        getrusage(Int32(RUSAGE_SELF.rawValue), &usageAfter)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        add(Measured(wall: Date().timeIntervalSince(started),
                     cpu: seconds(usageAfter.ru_utime) - seconds(usageBefore.ru_utime) + seconds(usageAfter.ru_stime) - seconds(usageBefore.ru_stime)),
            to: &new, "timing \(rung.name)")
        add(try run("ffmpeg", Packaging.mp4WithoutCaptions(rung: joined, output: "\(now)/\(rung.name).mp4", startOffset: delay)).0, to: &new, "MP4 remux \(rung.name)")
        add(try inspect("\(now)/\(rung.name).mp4"), to: &new, "inspect \(rung.name)")
    }
    }

    if nowFirst {
        try runNow()
        try runBefore()
    } else {
        try runBefore()
        try runNow()
    }
    print(String(format: "before (MP4 ladder, then HLS by remux)      wall=%.1f cpu=%.1f", old.wall, old.cpu))
    print(String(format: "now    (HLS ladder published, MP4 by remux)  wall=%.1f cpu=%.1f", new.wall, new.cpu))
    print(String(format: "now/before wall=%.3f cpu=%.3f (targets <= 1.05)", new.wall / old.wall, new.cpu / old.cpu))
    if let firstSegment = firstSegment.withLock({ $0 }) { print(String(format: "first segment of every encoded rung after %.2f s of encoding", firstSegment)) }
    for directory in [before, now] { try? FileManager.default.removeItem(atPath: directory) }
    return (old, new)
}

/// ffprobe of a rung's MP4, as the packager inspects it.
func inspect(_ path: String) throws -> Measured {
    try run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-of", "json", "-show_entries",
                        "stream=width,height,profile,level,bit_rate,avg_frame_rate", path], output: true).0
}
