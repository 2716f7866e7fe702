import Foundation
import Testing
import Transcoder

@Suite("AVCConfiguration: the avcC record read from an MP4's moov")
struct AVCConfigurationTests {
    static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] {
        let size = UInt32(8 + payload.count)
        return [UInt8(size >> 24), UInt8(size >> 16 & 0xff), UInt8(size >> 8 & 0xff), UInt8(size & 0xff)] + Array(type.utf8) + payload
    }

    static func write(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("avcc-\(UUID().uuidString).mp4").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// version 1, High, no constraints, level 4.0, then one SPS and one PPS.
    static let record: [UInt8] = [1, 0x64, 0x00, 0x28, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x28, 1, 0, 2, 0x68, 0xee]

    @Test("the record inside moov, found past a large mdat before it; none outside moov, none in a file without one")
    func readsTheMovie() throws {
        let sampleEntry = Self.box("avc1", [UInt8](repeating: 0, count: 78) + Self.box("avcC", Self.record))
        let movie = Self.box("moov", Self.box("trak", Self.box("stsd", [0, 0, 0, 0, 0, 0, 0, 1] + sampleEntry)))
        let mdat = Self.box("mdat", [UInt8](repeating: 7, count: 100_000))
        let file = try Self.write(Self.box("ftyp", Array("isom".utf8)) + mdat + movie)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(AVCConfiguration.record(inFile: file) == Self.record)

        // An avcC in the media data is not the movie's.
        let stray = try Self.write(Self.box("ftyp", Array("isom".utf8)) + Self.box("mdat", Self.box("avcC", Self.record)))
        defer { try? FileManager.default.removeItem(atPath: stray) }
        #expect(AVCConfiguration.record(inFile: stray) == nil)
        #expect(AVCConfiguration.record(inFile: "/nonexistent/file.mp4") == nil)
        // A box whose size runs past the end of the file stops the walk.
        let truncated = try Self.write(Array(Self.box("ftyp", Array("isom".utf8)) + movie).dropLast(4))
        defer { try? FileManager.default.removeItem(atPath: truncated) }
        #expect(AVCConfiguration.record(inFile: truncated) == nil)
    }

    @Test("a box too short for a record, or of another version, is skipped")
    func malformedRecords() {
        #expect(AVCConfiguration.record(inMovie: Self.box("avcC", [1, 0x64])) == nil)
        #expect(AVCConfiguration.record(inMovie: Self.box("avcC", [2] + Self.record.dropFirst())) == nil)
        #expect(AVCConfiguration.record(inMovie: []) == nil)
        #expect(AVCConfiguration.record(inMovie: Self.box("avcC", [2] + Self.record.dropFirst()) + Self.box("avcC", Self.record)) == Self.record)
    }
}
