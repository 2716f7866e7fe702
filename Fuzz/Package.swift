// swift-tools-version:6.0
// libFuzzer targets for the parsers ClipCut wrote itself. Each target's parser sources are
// symbolic links to the real files under ../Sources, so what is fuzzed is what ships.
// Built and run by scripts/fuzz (with -sanitize=fuzzer,address); never part of the main build.
import PackageDescription

let package = Package(
    name: "ClipCutFuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Hands each target to libFuzzer's driver.
        .target(name: "FuzzSupport"),
        // Range headers, tus Upload-Metadata, HTTP dates.
        .executableTarget(name: "FuzzHeaders", dependencies: ["FuzzSupport"]),
        // multipart/form-data bodies and boundaries.
        .executableTarget(name: "FuzzMultipart", dependencies: ["FuzzSupport", .product(name: "NIOCore", package: "swift-nio")]),
        // The container sniffer, ffmpeg -progress lines, the WebVTT writer and reader.
        .executableTarget(name: "FuzzMedia", dependencies: ["FuzzSupport"]),
        // ffprobe's JSON report as MediaProbe reads it, the media policy, the ladder and its command;
        // the HLS playlist ffmpeg writes while it encodes; an MP4's moov and fragments' boxes.
        .executableTarget(name: "FuzzProbe", dependencies: ["FuzzSupport"]),
    ]
)
