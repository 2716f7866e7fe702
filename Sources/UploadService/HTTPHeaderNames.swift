import HTTPTypes

// The literals below are valid header names (RFC 9110 tokens), so these initialisers cannot
// return nil; the force unwraps run once, on constants, never on input.
extension HTTPField.Name {
    /// `X-Title`: a direct upload's title (percent-encoded UTF-8).
    static let clipcutTitle = HTTPField.Name("X-Title")!
    /// `X-Description`: a direct upload's description (percent-encoded UTF-8).
    static let clipcutDescription = HTTPField.Name("X-Description")!
    /// `X-Filename`: a direct upload's original file name (percent-encoded UTF-8).
    static let clipcutFilename = HTTPField.Name("X-Filename")!
    /// `X-Burn-Subtitles`: `true` to render the captions into the picture.
    static let clipcutBurnSubtitles = HTTPField.Name("X-Burn-Subtitles")!
    /// `X-Language`: the language spoken in a direct upload (`detect` or ISO 639-1).
    static let clipcutLanguage = HTTPField.Name("X-Language")!
    /// `X-Video-Id`: the video a tus upload becomes.
    static let clipcutVideoID = HTTPField.Name("X-Video-Id")!
    /// `X-ClipCut-Media-Cache-Location`: the edge's location for cached media (``EdgeHandOff``).
    static let clipcutMediaCacheLocation = HTTPField.Name("X-ClipCut-Media-Cache-Location")!
    /// `X-Accel-Redirect`: nginx serves the named internal location instead of this body.
    static let accelRedirect = HTTPField.Name("X-Accel-Redirect")!
    /// `Tus-Resumable`.
    static let tusResumable = HTTPField.Name("Tus-Resumable")!
    /// `Tus-Version`.
    static let tusVersion = HTTPField.Name("Tus-Version")!
    /// `Tus-Extension`.
    static let tusExtension = HTTPField.Name("Tus-Extension")!
    /// `Tus-Max-Size`.
    static let tusMaxSize = HTTPField.Name("Tus-Max-Size")!
    /// `Upload-Offset`.
    static let uploadOffset = HTTPField.Name("Upload-Offset")!
    /// `Upload-Length`.
    static let uploadLength = HTTPField.Name("Upload-Length")!
    /// `Upload-Defer-Length`.
    static let uploadDeferLength = HTTPField.Name("Upload-Defer-Length")!
    /// `Upload-Metadata`.
    static let uploadMetadata = HTTPField.Name("Upload-Metadata")!
    /// `Upload-Expires`.
    static let uploadExpires = HTTPField.Name("Upload-Expires")!
}
