import ClipCutCore
import Testing

@Suite("Names and configuration keys")
struct NamesTests {
    @Test("stream, group and channel names")
    func redisNames() throws {
        #expect(RedisNames.jobsStream == "clipcut:jobs")
        #expect(RedisNames.deadLetterStream == "clipcut:jobs:dead")
        #expect(RedisNames.eventsStream == "clipcut:events")
        #expect(RedisNames.processingGroup == "processing")
        #expect(RedisNames.monitoringGroup == "monitoring")
        let id = try #require(VideoID("3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2b"))
        #expect(RedisNames.progressChannel(for: id) == "clipcut:progress:3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2b")
        #expect(RedisNames.logStream(for: id) == "clipcut:log:3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2b")
        #expect(RedisNames.videoID(fromProgressChannel: RedisNames.progressChannel(for: id)) == id)
        #expect(RedisNames.videoID(fromLogStream: RedisNames.logStream(for: id)) == id)
        #expect(RedisNames.videoID(fromProgressChannel: "clipcut:log:\(id)") == nil)
        #expect(RedisNames.videoID(fromProgressChannel: "clipcut:progress:nope") == nil)
    }

    @Test("configuration keys are CLIPCUT_* and unique")
    func configKeys() {
        let names = ConfigKey.documented.map(\.name)
        #expect(names.allSatisfy { $0.hasPrefix("CLIPCUT_") })
        #expect(Set(names).count == names.count)
        #expect(ConfigKey.jwtIssuer.defaultValue == "clipcut")
        #expect(ConfigKey.jwtAudience.defaultValue == "clipcut")
        #expect(ConfigKey.logFormat.defaultValue == "text")
    }

    @Test("each service has its own port")
    func servicePorts() {
        let ports = ServiceName.allCases.map(\.defaultPort)
        #expect(Set(ports).count == ports.count)
        #expect(ServiceName.user.executableName == "user-service")
    }
}
