import Foundation

/// A progressive MP4's `moov`, read without running a tool: each track's handler, timescale,
/// length and sample sizes, and for a picture track its size, `avcC` and every sample's
/// presentation time and sync flag, on ffmpeg's timeline (the edit list applied as ffmpeg's
/// demuxer applies it). What a clip asks ffprobe about its source's renditions and about its
/// own MP4s: each ffprobe run costs about 0.1 s of CPU before it reads a byte.
///
/// The file is ClipCut's own (a rendition, a clip), but it is read like any input: every count
/// is checked against the bytes that hold it, and `nil` means "ask ffprobe instead".
public struct MovieIndex: Sendable, Equatable {
    /// One track.
    public struct Track: Sendable, Equatable {
        /// `vide`, `soun`, `sbtl`, `text`…
        public var handler: String
        public var timescale: UInt32
        /// The media's length in `timescale` units (`mdhd`).
        public var mediaDuration: UInt64
        /// How many samples, and their bytes in all.
        public var sampleCount: Int
        public var sampleBytes: UInt64
        /// The first sample entry's type: `avc1`, `mp4a`, `tx3g`…
        public var sampleEntry: String?
        /// A sound track's channels and sample rate (its sample entry).
        public var channels: Int?
        public var sampleRate: Int?
        /// The sample entry's coded size (a picture track).
        public var width: Int?
        public var height: Int?
        /// The H.264 decoder configuration record (`avcC`'s payload), when the track has one.
        public var avcC: [UInt8]?
        /// Each sample's presentation time in seconds, in decode order (a picture track only).
        public var times: [Double] = []
        /// The last sample's length in seconds (`stts`; a picture track only).
        public var lastSampleDuration: Double?
        /// Whether each sample is a sync sample (a keyframe), in decode order (a picture track only).
        public var isKeyframe: [Bool] = []

        /// Samples per second over the media's length (what ffprobe calls `avg_frame_rate`);
        /// `nil` unless above 0 and at most 1,000, the bounds ``MediaProbe/frameRate(_:)`` keeps.
        public var frameRate: Double? {
            guard mediaDuration > 0 else { return nil }
            let rate = Double(sampleCount) * Double(timescale) / Double(mediaDuration)
            return rate.isFinite && rate > 0 && rate <= 1000 ? rate : nil
        }

        /// Where the picture ends on ffmpeg's timeline, in seconds: its last frame's presentation
        /// time plus the last sample's length (the media's mean sample length when unknown: a
        /// variable-rate picture's last frame is not its average); `nil` without timed samples.
        /// A sound track often runs a little longer (AAC's padding), so a movie's ``duration`` is
        /// not where its last frame ends.
        public var presentationEnd: Double? {
            guard let last = times.max(), sampleCount > 0, timescale > 0 else { return nil }
            let end = last + (lastSampleDuration ?? Double(mediaDuration) / Double(sampleCount) / Double(timescale))
            return end.isFinite && end > 0 ? end : nil
        }

        /// Bits per second over the media's length.
        public var bitRate: Int? {
            mediaDuration > 0 ? Int(clampingRounded: Double(sampleBytes) * 8 * Double(timescale) / Double(mediaDuration)) : nil
        }

        /// The H.264 profile as ffprobe names it, from ``avcC``.
        public var profile: String? {
            guard let avcC, avcC.count >= 4 else { return nil }
            switch avcC[1] {
            case 66: return avcC[2] & 0x40 != 0 ? "Constrained Baseline" : "Baseline"
            case 77: return "Main"
            case 88: return "Extended"
            case 100: return "High"
            case 110: return "High 10"
            case 122: return "High 4:2:2"
            case 244: return "High 4:4:4 Predictive"
            default: return nil
            }
        }

        /// The H.264 level × 10 (40 for 4.0), from ``avcC``.
        public var level: Int? { avcC.flatMap { $0.count >= 4 ? Int($0[3]) : nil } }
    }

    /// The movie's length in seconds (`mvhd`, as ffprobe's `format=duration`).
    public var duration: Double
    public var tracks: [Track]

    /// The first picture track.
    public var video: Track? { tracks.first { $0.handler == "vide" } }
    /// Whether the movie has a sound track.
    public var hasAudio: Bool { tracks.contains { $0.handler == "soun" } }

    /// At most this many samples in all the movie's tracks (more than 4 hours of 120 frames
    /// per second and of AAC sound): a table that claims more is refused before anything is
    /// allocated for it.
    static let sampleLimit = 4_000_000

    /// The index of the `moov` box's contents; `nil` when a box is missing or does not add up.
    public static func parse(movie: ArraySlice<UInt8>) -> MovieIndex? {
        let top = FragmentTiming.boxes(movie)
        guard let mvhd = top.first(where: { $0.type == "mvhd" })?.body, let movieScale = FragmentTiming.timescale(mvhd), movieScale > 0,
              let movieDuration = duration(mvhd)
        else { return nil }
        var tracks: [Track] = []
        var budget = sampleLimit
        for trak in FragmentTiming.children(of: "trak", in: top) {
            // Presentation times only for the first picture track (``video``).
            let timed = !tracks.contains { $0.handler == "vide" }
            guard let track = parseTrack(trak, movieScale: movieScale, timed: timed, budget: &budget) else { return nil }
            tracks.append(track)
        }
        return MovieIndex(duration: Double(movieDuration) / Double(movieScale), tracks: tracks)
    }

    /// The index of the MP4 at `path`; `nil` when it has no readable `moov` of at most `movieLimit` bytes.
    public static func read(file path: String, movieLimit: Int = 64 << 20) -> MovieIndex? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let length = try? handle.seekToEnd() else { return nil }
        var offset: UInt64 = 0
        for _ in 0..<1024 where offset + 8 <= length {
            guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: 16),
                  let box = topLevelBox([UInt8](data), at: offset, fileLength: length)
            else { return nil }
            if box.type == "moov" {
                guard box.size - box.header <= UInt64(movieLimit), (try? handle.seek(toOffset: offset + box.header)) != nil,
                      let movie = try? handle.read(upToCount: Int(box.size - box.header)), UInt64(movie.count) == box.size - box.header
                else { return nil }
                return parse(movie: [UInt8](movie)[...])
            }
            offset += box.size
        }
        return nil
    }

    /// A top-level box's type, size and header length from its first 8 or 16 bytes at `offset`
    /// of a file of `fileLength` bytes; `nil` when it does not fit the file.
    public static func topLevelBox(_ header: [UInt8], at offset: UInt64, fileLength: UInt64) -> (type: String, size: UInt64, header: UInt64)? {
        guard header.count >= 8, offset <= fileLength else { return nil }
        let bytes = header[...]
        var size = UInt64(FragmentTiming.uint32(bytes, at: 0))
        var headerSize: UInt64 = 8
        if size == 1 {
            guard header.count >= 16 else { return nil }
            size = FragmentTiming.uint64(bytes, at: 8)
            headerSize = 16
        } else if size == 0 {
            size = fileLength - offset  // the last box runs to the end of the file
        }
        guard size >= headerSize, size <= fileLength - offset else { return nil }
        return (String(decoding: header[4..<8], as: UTF8.self), size, headerSize)
    }

    private static func parseTrack(_ trak: ArraySlice<UInt8>, movieScale: UInt32, timed: Bool, budget: inout Int) -> Track? {
        let inner = FragmentTiming.boxes(trak)
        guard let mdia = inner.first(where: { $0.type == "mdia" })?.body else { return nil }
        let media = FragmentTiming.boxes(mdia)
        guard let mdhd = media.first(where: { $0.type == "mdhd" })?.body, let hdlr = media.first(where: { $0.type == "hdlr" })?.body,
              hdlr.count >= 12, let scale = FragmentTiming.timescale(mdhd), scale > 0, let mediaDuration = duration(mdhd),
              let minf = media.first(where: { $0.type == "minf" })?.body,
              let stbl = FragmentTiming.children(of: "stbl", in: minf).first
        else { return nil }
        let handler = String(decoding: hdlr[(hdlr.startIndex + 8)..<(hdlr.startIndex + 12)], as: UTF8.self)
        let table = FragmentTiming.boxes(stbl)
        guard let stsz = table.first(where: { $0.type == "stsz" })?.body, let sizes = sampleSizes(stsz), sizes.count <= budget else { return nil }
        budget -= sizes.count
        var track = Track(
            handler: handler, timescale: scale, mediaDuration: mediaDuration, sampleCount: sizes.count, sampleBytes: sizes.bytes)
        if let stsd = table.first(where: { $0.type == "stsd" })?.body { describe(stsd, into: &track) }
        guard handler == "vide", timed else { return track }
        guard let stts = table.first(where: { $0.type == "stts" })?.body, let decodeRuns = runs(stts, count: sizes.count, signed: false)
        else { return nil }
        let offsetRuns = table.first(where: { $0.type == "ctts" }).map { runs($0.body, count: sizes.count, signed: true) } ?? .some([])
        guard let offsetRuns else { return nil }
        let elst = FragmentTiming.children(of: "edts", in: inner).first.flatMap { FragmentTiming.children(of: "elst", in: $0).first }
        guard let edit = elst.map(FragmentTiming.edit) ?? FragmentTiming.Edit(delay: 0, mediaTime: 0) else { return nil }
        // ffmpeg's timeline: the first real edit's media time is 0, empty edits delay the track
        // (their length rounded to the track's timescale first, as ffmpeg's demuxer does). Each
        // term is bounded, so that no sum below can overflow: the decode times add up to at most
        // ``sampleLimit`` × 2³², the composition offsets are 32 bits.
        let delay = (Double(edit.delay) * Double(scale) / Double(movieScale)).rounded()
        guard delay < Double(Int64.max / 4), edit.mediaTime > Int64.min / 4, edit.mediaTime < Int64.max / 4 else { return nil }
        let shift = Int64(delay) - edit.mediaTime
        var times: [Double] = []
        times.reserveCapacity(sizes.count)
        var decode: Int64 = 0
        var offsets = offsetRuns.lazy.flatMap { repeatElement($0.value, count: $0.count) }.makeIterator()
        for run in decodeRuns {
            for _ in 0..<run.count {
                times.append(Double(decode + (offsets.next() ?? 0) + shift) / Double(scale))
                decode += run.value
            }
        }
        track.times = times
        track.lastSampleDuration = decodeRuns.last { $0.count > 0 }.map { Double($0.value) / Double(scale) }
        if let stss = table.first(where: { $0.type == "stss" })?.body {
            guard let sync = syncSamples(stss, count: sizes.count) else { return nil }
            track.isKeyframe = sync
        } else {
            track.isKeyframe = Array(repeating: true, count: sizes.count)  // no table: every sample is a sync sample
        }
        return track
    }

    /// `mvhd` or `mdhd` version 0 or 1: the duration after the timescale.
    static func duration(_ body: ArraySlice<UInt8>) -> UInt64? {
        guard let version = body.first else { return nil }
        if version == 1 { return body.count >= 32 ? FragmentTiming.uint64(body, at: 24) : nil }
        return body.count >= 20 ? UInt64(FragmentTiming.uint32(body, at: 16)) : nil
    }

    /// `stsz`: the sample count and their bytes in all; `nil` when the table is cut short or too long.
    static func sampleSizes(_ body: ArraySlice<UInt8>) -> (count: Int, bytes: UInt64)? {
        guard body.count >= 12 else { return nil }
        let constant = UInt64(FragmentTiming.uint32(body, at: 4)), count = Int(FragmentTiming.uint32(body, at: 8))
        guard count <= sampleLimit else { return nil }
        if constant != 0 { return (count, constant * UInt64(count)) }
        guard body.count >= 12 + 4 * count else { return nil }
        var bytes: UInt64 = 0
        for index in 0..<count { bytes += UInt64(FragmentTiming.uint32(body, at: 12 + 4 * index)) }
        return (count, bytes)
    }

    /// `stts` or `ctts`: its run-length (count, value) pairs; `nil` unless they cover exactly
    /// `count` samples. Composition offsets (`signed`) are read as signed, as ffmpeg reads
    /// them in either version of the box.
    static func runs(_ body: ArraySlice<UInt8>, count: Int, signed: Bool) -> [(count: Int, value: Int64)]? {
        guard body.count >= 8 else { return nil }
        let entries = Int(FragmentTiming.uint32(body, at: 4))
        guard entries <= (body.count - 8) / 8 else { return nil }
        var result: [(count: Int, value: Int64)] = []
        result.reserveCapacity(entries)
        var covered = 0
        for entry in 0..<entries {
            let run = Int(FragmentTiming.uint32(body, at: 8 + 8 * entry)), raw = FragmentTiming.uint32(body, at: 12 + 8 * entry)
            guard run <= count - covered else { return nil }
            covered += run
            result.append((run, signed ? Int64(Int32(bitPattern: raw)) : Int64(raw)))
        }
        return covered == count ? result : nil
    }

    /// `stss`: the sync samples (1-based numbers) as a flag per sample; `nil` when one is out of range.
    static func syncSamples(_ body: ArraySlice<UInt8>, count: Int) -> [Bool]? {
        guard body.count >= 8 else { return nil }
        let entries = Int(FragmentTiming.uint32(body, at: 4))
        guard entries <= count, body.count >= 8 + 4 * entries else { return nil }
        var flags = Array(repeating: false, count: count)
        for entry in 0..<entries {
            let number = Int(FragmentTiming.uint32(body, at: 8 + 4 * entry))
            guard number >= 1, number <= count else { return nil }
            flags[number - 1] = true
        }
        return flags
    }

    /// The channel configuration of the AAC AudioSpecificConfig in an `esds` box (ES, decoder
    /// configuration and decoder-specific descriptors); `nil` when it is not there or is 0
    /// (declared elsewhere).
    static func audioChannels(_ esds: ArraySlice<UInt8>) -> Int? {
        var bytes = Array(esds.dropFirst(4))[...]  // version and flags
        func descriptor(_ tag: UInt8) -> ArraySlice<UInt8>? {
            guard bytes.first == tag else { return nil }
            bytes = bytes.dropFirst()
            var length = 0
            for _ in 0..<4 {
                guard let byte = bytes.first else { return nil }
                bytes = bytes.dropFirst()
                length = length << 7 | Int(byte & 0x7F)
                if byte & 0x80 == 0 { break }
            }
            guard length <= bytes.count else { return nil }
            defer { bytes = bytes.dropFirst(length) }
            return bytes.prefix(length)
        }
        guard var es = descriptor(0x03), es.count >= 3 else { return nil }
        let flags = es[es.startIndex + 2]
        es = es.dropFirst(3)
        if flags & 0x80 != 0 { es = es.dropFirst(2) }  // depends on an ES
        if flags & 0x40 != 0, let length = es.first { es = es.dropFirst(1 + Int(length)) }  // a URL
        if flags & 0x20 != 0 { es = es.dropFirst(2) }  // an OCR stream
        bytes = es
        guard let decoder = descriptor(0x04), decoder.count > 13 else { return nil }
        bytes = decoder.dropFirst(13)
        guard let specific = descriptor(0x05), specific.count >= 2 else { return nil }
        // 5 bits object type (31: more follow, not read here), 4 bits frequency index (15: 24
        // bits of rate follow), 4 bits channel configuration.
        let head = (Array(specific.prefix(5)) + [0, 0, 0, 0, 0]).prefix(5).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard head >> 35 != 31 else { return nil }
        let configuration = Int(head >> 31 & 0xF == 15 ? head >> 3 & 0xF : head >> 27 & 0xF)
        // ISO/IEC 14496-3's channel configurations: 1–6 are that many, 7 is 7.1, 11–14 are 6.1,
        // 7.1, 22.2 and 7.1 again.
        return [1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 11: 7, 12: 8, 13: 24, 14: 8][configuration]
    }

    /// The first sample entry of `stsd`: a visual entry's coded size and its `avcC`.
    static func describe(_ stsd: ArraySlice<UInt8>, into track: inout Track) {
        guard stsd.count >= 8, let entry = FragmentTiming.boxes(stsd.dropFirst(8)).first else { return }
        track.sampleEntry = entry.type
        if track.handler == "soun", entry.body.count >= 28 {
            // After reserved fields: channel count, sample size, two reserved, the rate in 16.16.
            track.channels = Int(FragmentTiming.uint32(entry.body, at: 16) >> 16)
            track.sampleRate = Int(FragmentTiming.uint32(entry.body, at: 24) >> 16)
            // An MP4 writer puts 2 there whatever the sound has: AAC says it in its `esds`.
            if let esds = FragmentTiming.children(of: "esds", in: entry.body.dropFirst(28)).first,
               let configuration = audioChannels(esds) {
                track.channels = configuration
            }
        }
        guard track.handler == "vide", entry.body.count >= 78 else { return }
        let size = FragmentTiming.uint32(entry.body, at: 24)  // after reserved and pre-defined fields
        track.width = Int(size >> 16)
        track.height = Int(size & 0xFFFF)
        if let avcC = FragmentTiming.children(of: "avcC", in: entry.body.dropFirst(78)).first, avcC.count >= 7, avcC.first == 1 {
            track.avcC = Array(avcC)
        }
    }
}

extension MediaProbe {
    /// What ffprobe would say of an MP4 that ClipCut wrote itself (a clip's joined rendition),
    /// from its index: H.264 in `avc1`/`avc3`, AAC in `mp4a`. `nil` without a picture or sound
    /// track of those, with a picture track that is not one, or without a length.
    public init?(index: MovieIndex) {
        let picture = index.video.flatMap { track -> VideoStream? in
            guard ["avc1", "avc3"].contains(track.sampleEntry ?? ""), let width = track.width, let height = track.height,
                  width > 0, height > 0, let rate = track.frameRate, rate.isFinite, rate > 0
            else { return nil }
            return VideoStream(codec: "h264", width: width, height: height, frameRate: rate, bitRate: track.bitRate, pixelFormat: nil)
        }
        // A picture this cannot describe is ffprobe's to read, not a file without one.
        guard index.video == nil || picture != nil else { return nil }
        let sound = index.tracks.first { $0.handler == "soun" }.flatMap { track -> AudioStream? in
            guard track.sampleEntry == "mp4a", let channels = track.channels, let sampleRate = track.sampleRate else { return nil }
            return AudioStream(codec: "aac", channels: channels, sampleRate: sampleRate, bitRate: track.bitRate)
        }
        guard picture != nil || sound != nil, index.duration.isFinite, index.duration > 0 else { return nil }
        self.init(duration: index.duration, formatName: "mov,mp4,m4a,3gp,3g2,mj2", video: picture, audio: sound)
        streamCount = index.tracks.count
    }
}
