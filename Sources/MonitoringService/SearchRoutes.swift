import ClipCutCore
import Foundation
import Hummingbird
import ServiceSupport

/// `GET /api/search?q=&limit=`: the caller's videos whose speech (the whisper transcript)
/// matches `q`, best first, each with the matching cues and their times so the page can jump to
/// the moment a word was said.
struct SearchRoutes: Sendable {
    let store: any HistoryStore
    let verifier: AccessTokenVerifier

    func add(to router: Router<ClipCutRequestContext>) {
        router.authenticatedGroup("api/search", verifier: verifier).get(use: search)
    }

    struct Results: Codable, Sendable {
        var query: String
        var results: [TranscriptMatch]
    }

    @Sendable func search(request: Request, context: ClipCutRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let parameters = request.uri.queryParameters
        let text = String(parameters.get("q") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw APIError(.badRequest, code: "invalid_query", message: "q must hold the words to look for.") }
        guard text.count <= 200 else { throw APIError(.badRequest, code: "invalid_query", message: "q is longer than 200 characters.") }
        guard !text.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw APIError(.badRequest, code: "invalid_query", message: "q must not contain NUL characters.")
        }
        var limit = 20
        if let value = parameters.get("limit") {
            guard let parsed = Int(value), (1...50).contains(parsed) else {
                throw APIError(.badRequest, code: "invalid_limit", message: "limit must be an integer from 1 to 50.")
            }
            limit = parsed
        }
        let results = try await store.search(TranscriptQuery(owner: user.id, text: text, limit: limit))
        return jsonResponse(Results(query: text, results: results))
    }
}
