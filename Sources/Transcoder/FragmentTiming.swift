import Foundation

/// When the picture and the sound of a fragmented MP4 start, read from its boxes: each track's
/// timescale and handler from the init segment (`moov/trak/tkhd`, `mdia/mdhd`, `mdia/hdlr`), its
/// first decode time from the first segment (`moof/traf/tfdt`) and the first sample's composition
/// offset (`trun`). No tool is run: the packager asks this once per rung.
public enum FragmentTiming {
    /// How much later the picture starts than the sound (seconds, at least 0); `nil` when the
    /// boxes are not as expected (the caller asks ffprobe instead).
    public static func pictureDelay(initSegment: [UInt8], firstSegment: [UInt8]) -> Double? {
        var tracks: [UInt32: (timescale: UInt32, handler: String, edit: Edit)] = [:]
        guard let moov = children(of: "moov", in: boxes(initSegment[...])).first,
              let mvhd = boxes(moov).first(where: { $0.type == "mvhd" })?.body, let movieScale = timescale(mvhd), movieScale > 0
        else { return nil }
        for trak in children(of: "trak", in: moov) {
            let inner = boxes(trak)
            guard let tkhd = inner.first(where: { $0.type == "tkhd" })?.body, let mdia = inner.first(where: { $0.type == "mdia" })?.body
            else { return nil }
            let media = boxes(mdia)
            guard let mdhd = media.first(where: { $0.type == "mdhd" })?.body, let hdlr = media.first(where: { $0.type == "hdlr" })?.body,
                  let id = trackID(tkhd), let scale = timescale(mdhd), hdlr.count >= 12
            else { return nil }
            let start = hdlr.startIndex + 8
            let elst = children(of: "edts", in: inner).first.flatMap { children(of: "elst", in: $0).first }
            guard let edit = elst.map(Self.edit) ?? Edit(delay: 0, mediaTime: 0) else { return nil }
            tracks[id] = (scale, String(decoding: hdlr[start..<start + 4], as: UTF8.self), edit)
        }
        var starts: [String: Double] = [:]
        for traf in children(of: "traf", in: children(of: "moof", in: boxes(firstSegment[...])).first ?? [][...]) {
            let inner = boxes(traf)
            guard let tfhd = inner.first(where: { $0.type == "tfhd" })?.body, tfhd.count >= 8,
                  let tfdt = inner.first(where: { $0.type == "tfdt" })?.body, let id = Optional(uint32(tfhd, at: 4)),
                  let track = tracks[id], track.timescale > 0, let decode = baseDecodeTime(tfdt)
            else { return nil }
            let offset = inner.first(where: { $0.type == "trun" }).flatMap { firstCompositionOffset($0.body) } ?? 0
            // The edit list: empty edits delay the track (movie timescale), the first real one
            // starts it `mediaTime` into its media.
            starts[track.handler] = Double(track.edit.delay) / Double(movieScale)
                + (Double(decode) + Double(offset) - Double(track.edit.mediaTime)) / Double(track.timescale)
        }
        guard let picture = starts["vide"] else { return nil }
        return max(0, picture - min(picture, starts["soun"] ?? picture))
    }

    typealias Box = (type: String, body: ArraySlice<UInt8>)

    /// What a track's edit list does at its start: the empty edits' length (movie timescale) and
    /// the media time of the first real edit (media timescale).
    struct Edit {
        var delay: UInt64
        var mediaTime: Int64
    }

    /// `elst` version 0 or 1; `nil` when cut short.
    static func edit(_ body: ArraySlice<UInt8>) -> Edit? {
        guard body.count >= 8, let version = body.first else { return nil }
        let count = Int(uint32(body, at: 4))
        let entrySize = version == 1 ? 20 : 12
        guard count >= 0, body.count >= 8 + count * entrySize else { return nil }
        var edit = Edit(delay: 0, mediaTime: 0)
        for index in 0..<count {
            let at = 8 + index * entrySize
            let duration = version == 1 ? uint64(body, at: at) : UInt64(uint32(body, at: at))
            let mediaTime = version == 1 ? Int64(bitPattern: uint64(body, at: at + 8)) : Int64(Int32(bitPattern: uint32(body, at: at + 4)))
            if mediaTime == -1 {
                let (sum, overflow) = edit.delay.addingReportingOverflow(duration)
                guard !overflow else { return nil }
                edit.delay = sum
            } else {
                edit.mediaTime = mediaTime
                break
            }
        }
        return edit
    }

    /// The boxes one after another in `data` (sizes checked; a box that runs past the end ends the list).
    static func boxes(_ data: ArraySlice<UInt8>) -> [Box] {
        var result: [Box] = []
        var index = data.startIndex
        while data.endIndex - index >= 8 {
            var size = Int(uint32(data, at: index - data.startIndex))
            var header = 8
            if size == 1, data.endIndex - index >= 16 {
                size = Int(clamping: uint64(data, at: index - data.startIndex + 8))
                header = 16
            } else if size == 0 {
                size = data.endIndex - index
            }
            guard size >= header, size <= data.endIndex - index else { break }
            let type = String(decoding: data[index + 4..<index + 8], as: UTF8.self)
            result.append((type, data[index + header..<index + size]))
            index += size
        }
        return result
    }

    static func children(of type: String, in list: [Box]) -> [ArraySlice<UInt8>] {
        list.filter { $0.type == type }.map(\.body)
    }

    static func children(of type: String, in data: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        children(of: type, in: boxes(data))
    }

    /// `tkhd` version 0 or 1: the track id after the times.
    static func trackID(_ body: ArraySlice<UInt8>) -> UInt32? {
        guard let version = body.first else { return nil }
        let at = version == 1 ? 20 : 12
        return body.count >= at + 4 ? uint32(body, at: at) : nil
    }

    /// `mdhd` version 0 or 1: the timescale after the times.
    static func timescale(_ body: ArraySlice<UInt8>) -> UInt32? {
        guard let version = body.first else { return nil }
        let at = version == 1 ? 20 : 12
        return body.count >= at + 4 ? uint32(body, at: at) : nil
    }

    /// `tfdt`: baseMediaDecodeTime, 32 or 64 bits by version.
    static func baseDecodeTime(_ body: ArraySlice<UInt8>) -> UInt64? {
        guard let version = body.first else { return nil }
        if version == 1 { return body.count >= 12 ? uint64(body, at: 4) : nil }
        return body.count >= 8 ? UInt64(uint32(body, at: 4)) : nil
    }

    /// `trun`: the first sample's composition offset, when the run carries offsets (signed in version 1).
    static func firstCompositionOffset(_ body: ArraySlice<UInt8>) -> Int64? {
        guard body.count >= 8, let version = body.first else { return nil }
        let flags = uint32(body, at: 0) & 0x00FF_FFFF
        guard flags & 0x800 != 0, uint32(body, at: 4) > 0 else { return nil }
        var at = 8
        if flags & 0x1 != 0 { at += 4 }  // data offset
        if flags & 0x4 != 0 { at += 4 }  // first sample flags
        if flags & 0x100 != 0 { at += 4 }  // sample duration
        if flags & 0x200 != 0 { at += 4 }  // sample size
        if flags & 0x400 != 0 { at += 4 }  // sample flags
        guard body.count >= at + 4 else { return nil }
        let raw = uint32(body, at: at)
        return version == 1 ? Int64(Int32(bitPattern: raw)) : Int64(raw)
    }

    /// Big-endian, `offset` from the slice's start (the caller checks the length). Shifts, not
    /// `reduce`: a `moov` index reads every sample's entries this way.
    static func uint32(_ data: ArraySlice<UInt8>, at offset: Int) -> UInt32 {
        let start = data.startIndex + offset
        return UInt32(data[start]) << 24 | UInt32(data[start + 1]) << 16 | UInt32(data[start + 2]) << 8 | UInt32(data[start + 3])
    }

    static func uint64(_ data: ArraySlice<UInt8>, at offset: Int) -> UInt64 {
        UInt64(uint32(data, at: offset)) << 32 | UInt64(uint32(data, at: offset + 4))
    }
}
