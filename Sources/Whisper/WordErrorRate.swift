/// Word error rate of `hypothesis` against `reference`: the word-level edit distance
/// (substitutions, insertions, deletions) over the number of reference words, after lower-casing
/// and treating everything but letters, digits and apostrophes as separators. How transcription
/// quality is measured in the tests and benchmarks.
public func wordErrorRate(reference: String, hypothesis: String) -> Double {
    func words(_ text: String) -> [Substring] {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "'") }
    }
    let ref = words(reference), hyp = words(hypothesis)
    guard !ref.isEmpty else { return hyp.isEmpty ? 0 : 1 }
    var previous = Array(0...hyp.count)
    for (i, r) in ref.enumerated() {
        var current = [i + 1] + Array(repeating: 0, count: hyp.count)
        for (j, h) in hyp.enumerated() {
            current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (r == h ? 0 : 1))
        }
        previous = current
    }
    return Double(previous[hyp.count]) / Double(ref.count)
}
