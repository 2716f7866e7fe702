// `scripts/bench ladder`: the seeds' way (one ffmpeg per rung, each decoding the source, one
// after another) against ClipCut's single-decode ladder, on the same source in one run.
//
//   LadderBenchmark SOURCE WORKDIR [--flat] [--scaler NAME] [--threads N]
//   LadderBenchmark SOURCE WORKDIR --packaging   (see PackagingComparison.swift)
//
// Prints, for each way, wall seconds and CPU seconds (user+sys of the ffmpeg processes), and
// for each rung the SSIM of the rung against the source scaled to its size.
import Foundation
import Transcoder

struct Measured {
    var wall: Double
    var cpu: Double
}

/// Runs ffmpeg (or ffprobe), returning wall and CPU time of the child and its standard error.
/// `output`: return standard output instead of standard error.
func run(_ tool: String, _ arguments: [String], output: Bool = false) throws -> (Measured, String) {
    var before = rusage(), after = rusage()
    getrusage(Int32(RUSAGE_CHILDREN.rawValue), &before)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
    process.arguments = arguments
    let errors = Pipe()
    if output {
        process.standardOutput = errors
        process.standardError = FileHandle.nullDevice
    } else {
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
    }
    let start = Date()
    try process.run()
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let wall = Date().timeIntervalSince(start)
    getrusage(Int32(RUSAGE_CHILDREN.rawValue), &after)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    let cpu = seconds(after.ru_utime) - seconds(before.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_stime)
    guard process.terminationStatus == 0 else {
        FileHandle.standardError.write(Data("\(tool) failed: \(String(decoding: data, as: UTF8.self))\n".utf8))
        exit(1)
    }
    return (Measured(wall: wall, cpu: cpu), String(decoding: data, as: UTF8.self))
}

/// SSIM (All) of `rung` against the source scaled to the rung's size.
func ssim(_ rung: String, source: String, width: Int, height: Int) throws -> Double {
    let (_, log) = try run("ffmpeg", [
        "-nostdin", "-hide_banner", "-i", rung, "-i", source, "-lavfi",
        "[1:v]scale=\(width):\(height):flags=bicubic,setsar=1[ref];[0:v]setsar=1[main];[main][ref]ssim", "-f", "null", "-",
    ])
    guard let range = log.range(of: "All:", options: .backwards) else { return 0 }
    return Double(log[range.upperBound...].prefix { $0 == "." || $0.isNumber }) ?? 0
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: LadderBenchmark SOURCE WORKDIR [--flat] [--scaler NAME] [--threads N]\n".utf8))
    exit(2)
}
let source = arguments[1], work = arguments[2]
var options = EncodingOptions(preset: "veryfast")
if arguments.contains("--flat") { options.cascadedScaling = false }
if let index = arguments.firstIndex(of: "--scaler"), index + 1 < arguments.count { options.scaler = arguments[index + 1] }
let (_, probeJSON) = try run("ffprobe", ["-v", "error", "-of", "json", "-show_format", "-show_streams", "-o", "\(work)/probe.json", source])
_ = probeJSON
let probe = try MediaProbe(ffprobeJSON: try Data(contentsOf: URL(fileURLWithPath: "\(work)/probe.json")))
let rungs = Ladder.rungs(for: probe)
let cores = ProcessInfo.processInfo.activeProcessorCount
let encoders = rungs.filter { !$0.isRemux }.count
options.threadsPerEncoder = EncodingOptions.threads(encoders: encoders, cores: cores)
if let index = arguments.firstIndex(of: "--threads"), index + 1 < arguments.count, let threads = Int(arguments[index + 1]) {
    options.threadsPerEncoder = threads
}
if let index = arguments.firstIndex(of: "--lead-threads"), index + 1 < arguments.count, let threads = Int(arguments[index + 1]) {
    options.leadEncoderThreads = threads
}

if arguments.contains("--packaging") {
    var rounds = 1
    if let index = arguments.firstIndex(of: "--rounds"), index + 1 < arguments.count { rounds = max(1, Int(arguments[index + 1]) ?? 1) }
    var results: [(before: Measured, now: Measured)] = []
    for round in 1...rounds {
        print("round \(round) of \(rounds)")
        results.append(try comparePackaging(source: source, work: work, probe: probe, rungs: rungs, options: options, nowFirst: round % 2 == 0))
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let wall = median(results.map { $0.now.wall / $0.before.wall }), cpu = median(results.map { $0.now.cpu / $0.before.cpu })
    print(String(format: "median of %d rounds: now/before wall=%.3f cpu=%.3f (targets <= 1.05)", rounds, wall, cpu))
    exit(0)
}

// The seeds' way: one process per rung, each decoding the source, default threads, same quality settings.
var seeds = Measured(wall: 0, cpu: 0)
for rung in rungs {
    var command = ["-nostdin", "-y", "-hide_banner", "-loglevel", "error", "-i", source, "-vf", "scale=\(rung.width):\(rung.height)",
                   "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-maxrate", String(rung.maxRate), "-bufsize", String(rung.bufferSize),
                   "-g", String(Int(rung.frameRate * 2)), "-pix_fmt", "yuv420p"]
    if probe.audio != nil { command += ["-c:a", "aac", "-b:a", "128k", "-ac", "2"] }
    let (measured, _) = try run("ffmpeg", command + ["\(work)/seed-\(rung.name).mp4"])
    seeds.wall += measured.wall
    seeds.cpu += measured.cpu
}
let ours = LadderCommand(source: .file(source), probe: probe, rungs: rungs, outputDirectory: work, options: options)
let (clipcut, _) = try run("ffmpeg", ours.arguments)

print(String(format: "source %@: %.1f s %dx%d %@, rungs %@ (remux: %@), threads/encoder %d (lead %d), scaler %@, %@",
             (source as NSString).lastPathComponent, probe.duration, probe.video?.width ?? 0, probe.video?.height ?? 0, probe.video?.codec ?? "?",
             rungs.map(\.name).joined(separator: ","), rungs.filter(\.isRemux).map(\.name).joined(separator: ",").isEmpty ? "none" : rungs.filter(\.isRemux).map(\.name).joined(separator: ","),
             options.threadsPerEncoder, options.leadEncoderThreads ?? options.threadsPerEncoder, options.scaler, options.cascadedScaling ? "cascaded" : "flat"))
print(String(format: "seeds   wall=%.1f cpu=%.1f rtf=%.2f", seeds.wall, seeds.cpu, seeds.wall / probe.duration))
print(String(format: "clipcut wall=%.1f cpu=%.1f rtf=%.2f", clipcut.wall, clipcut.cpu, clipcut.wall / probe.duration))
print(String(format: "ratio   wall=%.2f cpu=%.2f", seeds.wall / clipcut.wall, seeds.cpu / clipcut.cpu))
for rung in rungs {
    let seedSSIM = try ssim("\(work)/seed-\(rung.name).mp4", source: source, width: rung.width, height: rung.height)
    let ourSSIM = try ssim("\(work)/\(rung.name).mp4", source: source, width: rung.width, height: rung.height)
    print(String(format: "ssim %@ seeds=%.4f clipcut=%.4f delta=%+.4f", rung.name, seedSSIM, ourSSIM, ourSSIM - seedSSIM))
}
