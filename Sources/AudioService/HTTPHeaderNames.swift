import HTTPTypes

// The literals below are valid header names (RFC 9110 tokens), so these initialisers cannot
// return nil; the force unwraps run once, on constants, never on input.
extension HTTPField.Name {
    /// The model that transcribed (`tiny.en`, `base`).
    static let clipcutModel = HTTPField.Name("ClipCut-Model")!
    /// The language of the speech (ISO 639-1), as asked for or detected.
    static let clipcutLanguage = HTTPField.Name("ClipCut-Language")!
    /// How sure the language detection was (0…1); absent when the caller named the language.
    static let clipcutLanguageProbability = HTTPField.Name("ClipCut-Language-Probability")!
    /// Segments left out as not speech.
    static let clipcutSegmentsDropped = HTTPField.Name("ClipCut-Segments-Dropped")!
}
