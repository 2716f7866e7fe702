import ClipCutCore
import Foundation
import Testing

@testable import UploadService

@Suite("The media cache's index: least recently used out first, keys that name one content")
struct MediaCacheIndexTests {
    let video = VideoID.random()
    let other = VideoID.random()

    func key(_ n: Int, _ length: Int, video: VideoID? = nil) -> String {
        MediaCacheIndex.key(videoId: video ?? self.video, fileId: String(format: "%024x", n), length: length)
    }

    @Test("past the limit the least recently used go, never the file just added")
    func leastRecentlyUsed() {
        var index = MediaCacheIndex(limit: 100)
        #expect(index.insert(key(1, 40), videoId: video, size: 40).isEmpty)
        #expect(index.insert(key(2, 40), videoId: video, size: 40).isEmpty)
        #expect(index.use(key(1, 40)) != nil)  // 2 is now the least recently used
        #expect(index.insert(key(3, 40), videoId: video, size: 40) == [key(2, 40)])
        #expect(Set(index.entries.keys) == [key(1, 40), key(3, 40)])
        #expect(index.totalBytes == 80)
        // A file as large as the whole cache pushes everything else out.
        #expect(Set(index.insert(key(4, 100), videoId: video, size: 100)) == [key(1, 40), key(3, 40)])
        #expect(index.totalBytes == 100 && index.entries.count == 1)
    }

    @Test("a file larger than the cache is not recorded; nothing else is evicted for it")
    func tooLarge() {
        var index = MediaCacheIndex(limit: 100)
        _ = index.insert(key(1, 60), videoId: video, size: 60)
        #expect(!index.admits(size: 101))
        #expect(index.insert(key(2, 101), videoId: video, size: 101) == [key(2, 101)])
        #expect(Array(index.entries.keys) == [key(1, 60)] && index.totalBytes == 60)
    }

    @Test("a video's files go together; the others stay")
    func removeVideo() {
        var index = MediaCacheIndex(limit: 1000)
        _ = index.insert(key(1, 10), videoId: video, size: 10)
        _ = index.insert(key(2, 10, video: other), videoId: other, size: 10)
        _ = index.insert(key(3, 10), videoId: video, size: 10)
        #expect(Set(index.removeAll(of: video)) == [key(1, 10), key(3, 10)])
        #expect(Array(index.entries.keys) == [key(2, 10, video: other)] && index.totalBytes == 10)
    }

    @Test("files found at start are older than any used since, and evicted oldest first")
    func adoptedAtStart() {
        var index = MediaCacheIndex(limit: 50)
        index.adopt(key(1, 20), videoId: video, size: 20, order: 1)
        index.adopt(key(2, 20), videoId: video, size: 20, order: 2)
        index.adopt(key(3, 20), videoId: video, size: 20, order: 3)
        #expect(index.evictToFit() == [key(1, 20)])
        #expect(index.insert(key(4, 20), videoId: video, size: 20) == [key(2, 20)])
    }

    @Test("keys read back to their video and length; anything else found on disk is not a key")
    func keys() {
        let good = key(0xabc, 1234)
        #expect(MediaCacheIndex.parse(good)?.videoId == video)
        #expect(MediaCacheIndex.parse(good)?.length == 1234)
        let id = String(format: "%024x", 7)
        for bad in ["../\(id).1", "\(video)/\(id).01", "\(video)/\(id).-1", "\(video)/\(id)", "\(video)/zz\(id.dropFirst(2)).1",
                    "\(video)/\(id).1.part", "\(video)/x/\(id).1", "not-a-video/\(id).1", "\(video)/.\(id).1"] {
            #expect(MediaCacheIndex.parse(bad) == nil, "\(bad)")
        }
    }
}
