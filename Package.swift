// swift-tools-version:6.1
import PackageDescription

/// What every service executable imports besides its own libraries.
let serviceKit: [Target.Dependency] = [
    .product(name: "Hummingbird", package: "hummingbird"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "Prometheus", package: "swift-prometheus"),
]

/// ClipCut: five Swift services that coordinate over Redis, plus the `clipcut` CLI.
/// The layout follows `docs/architecture.md` (and the shared DESIGN.md it came from).
let package = Package(
    name: "ClipCut",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "user-service", targets: ["UserService"]),
        .executable(name: "upload-service", targets: ["UploadService"]),
        .executable(name: "audio-service", targets: ["AudioService"]),
        .executable(name: "processing-service", targets: ["ProcessingService"]),
        .executable(name: "monitoring-service", targets: ["MonitoringService"]),
        .executable(name: "clipcut", targets: ["ClipCutCLI"]),
        .library(name: "Redis", targets: ["Redis"]),
        .library(name: "MediaStore", targets: ["MediaStore"]),
        .library(name: "ClipCutCore", targets: ["ClipCutCore"]),
        .library(name: "ServiceSupport", targets: ["ServiceSupport"]),
        .library(name: "Transcoder", targets: ["Transcoder"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // Tests only: OpenAPITestSupport parses the services' openapi.yaml with it.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // Benchmarks only: MultipartBenchmark weighs our multipart reader against it.
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
    ],
    targets: [
        // MARK: C system libraries (module map + shim.h, nothing else)
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "CWhisper",
            pkgConfig: "whisper"
        ),
        .systemLibrary(
            name: "CMongoc",
            pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev", "libbson-dev"])]
        ),

        // MARK: Libraries
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis",
                "Primitives",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "MediaStore",
            dependencies: [
                "CMongoc",
                "Primitives",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "ClipCutCore"),
        .target(name: "Primitives"),
        .target(
            name: "Jobs",
            dependencies: ["ClipCutCore", "Redis", "Primitives"]
        ),
        .target(name: "Transcoder"),
        .target(
            name: "Whisper",
            dependencies: [
                "CWhisper",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "PostgresMigrations",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ServiceSupport",
            dependencies: [
                "ClipCutCore", "Redis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Executables (one per service; their own issues fill them in)
        .executableTarget(
            name: "UserService",
            dependencies: [
                "Primitives", "ServiceSupport", "ClipCutCore", "Redis", "PostgresMigrations",
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + serviceKit,
            resources: [.copy("openapi.yaml")]
        ),
        .executableTarget(
            name: "UploadService",
            dependencies: [
                "ServiceSupport", "ClipCutCore", "Redis", "MediaStore", "Jobs",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                // The media cache's file I/O (Hummingbird's own file serving uses it too).
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + serviceKit,
            resources: [.copy("openapi.yaml")]
        ),
        .executableTarget(
            name: "AudioService",
            dependencies: [
                "Primitives", "ServiceSupport", "ClipCutCore", "Whisper",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + serviceKit,
            resources: [.copy("openapi.yaml")]
        ),
        .executableTarget(
            name: "ProcessingService",
            dependencies: [
                "Primitives", "ServiceSupport", "ClipCutCore", "Redis", "Jobs", "Transcoder",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + serviceKit
        ),
        .executableTarget(
            name: "MonitoringService",
            dependencies: [
                "ServiceSupport", "ClipCutCore", "Redis", "Jobs", "PostgresMigrations",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + serviceKit,
            resources: [.copy("openapi.yaml")]
        ),
        .executableTarget(
            name: "ClipCutCLI",
            dependencies: [
                "Primitives", "ClipCutCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // MARK: Benchmarks (run by `scripts/bench`, never by the tests)
        .executableTarget(
            name: "StoreBenchmark",
            dependencies: ["MediaStore", .product(name: "NIOCore", package: "swift-nio")],
            path: "Benchmarks/StoreBenchmark"
        ),

        .executableTarget(
            name: "AuthBenchmark",
            dependencies: [
                "ServiceSupport", "ClipCutCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/AuthBenchmark"
        ),

        .executableTarget(
            name: "UploadBenchmark",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/UploadBenchmark"
        ),
        .executableTarget(
            name: "MultipartBenchmark",
            dependencies: ["ServiceSupport", .product(name: "MultipartKit", package: "multipart-kit"), .product(name: "NIOCore", package: "swift-nio")],
            path: "Benchmarks/MultipartBenchmark"
        ),
        .executableTarget(
            name: "LadderBenchmark",
            dependencies: ["Transcoder"],
            path: "Benchmarks/LadderBenchmark"
        ),
        .executableTarget(
            name: "EventsBenchmark",
            dependencies: [
                "ClipCutCore", "Redis",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/EventsBenchmark"
        ),
        .executableTarget(
            name: "WhisperBenchmark",
            dependencies: ["Whisper"],
            path: "Benchmarks/WhisperBenchmark"
        ),

        // MARK: Tests
        .testTarget(
            name: "RedisTests",
            dependencies: ["Redis", "ClipCutCore"]
        ),
        .testTarget(
            name: "MediaStoreTests",
            dependencies: [
                "MediaStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["gridfs_peer.py"]
        ),
        .testTarget(name: "ClipCutCoreTests", dependencies: ["ClipCutCore"]),
        .testTarget(name: "TranscoderTests", dependencies: ["Transcoder"]),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "Redis", "ClipCutCore"]),
        .testTarget(
            name: "MonitoringServiceTests",
            dependencies: [
                "MonitoringService", "ServiceSupport", "ClipCutCore", "Redis", "Jobs", "PostgresMigrations", "OpenAPITestSupport", "AuthTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "OpenAPITestSupport", dependencies: [.product(name: "Yams", package: "Yams")], path: "Tests/OpenAPITestSupport"),
        .target(
            name: "AuthTestSupport",
            dependencies: ["ClipCutCore", "ServiceSupport", .product(name: "JWTKit", package: "jwt-kit")],
            path: "Tests/AuthTestSupport"
        ),
        .testTarget(
            name: "ProcessingServiceTests",
            dependencies: [
                "ProcessingService", "Transcoder", "MediaStore", "Redis", "Jobs", "ClipCutCore", "ServiceSupport", "Primitives",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "SpeechTestSupport", dependencies: ["Whisper"], path: "Tests/SpeechTestSupport"),
        .testTarget(name: "WhisperTests", dependencies: ["Whisper", "SpeechTestSupport"]),
        .testTarget(
            name: "AudioServiceTests",
            dependencies: [
                "AudioService", "ServiceSupport", "Whisper", "SpeechTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["openai_client.py", "parse_vtt.py"]
        ),
        .testTarget(
            name: "PostgresMigrationsTests",
            dependencies: [
                "PostgresMigrations",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "UploadServiceTests",
            dependencies: [
                "UploadService", "ServiceSupport", "ClipCutCore", "Redis", "Jobs", "MediaStore", "OpenAPITestSupport", "AuthTestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["tus_client.py"]
        ),
        .testTarget(
            name: "UserServiceTests",
            dependencies: [
                "UserService", "ServiceSupport", "ClipCutCore", "Redis", "PostgresMigrations", "OpenAPITestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["verify_token.py", "validate_openapi.py"]
        ),
        .testTarget(
            name: "ServiceSupportTests",
            dependencies: [
                "ServiceSupport",
                "ClipCutCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ]
)
