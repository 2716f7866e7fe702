import ArgumentParser
import AsyncHTTPClient
import ClipCutCore
import Foundation
import NIOCore

/// `clipcut services`: health and readiness of each service.
struct Services: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show whether each ClipCut service is up (/health) and ready (/ready)."
    )

    @Option(help: "Host the services listen on.")
    var host = "127.0.0.1"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Status: Codable {
        var service: String
        var url: String
        var healthy: Bool
        var ready: Bool
    }

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var statuses: [Status] = []
        for service in ServiceName.allCases {
            let base = "http://\(host):\(service.defaultPort)"
            let healthy = await answersOK(client, "\(base)/health")
            let ready = healthy ? await answersOK(client, "\(base)/ready") : false
            statuses.append(Status(service: service.executableName, url: base, healthy: healthy, ready: ready))
        }
        try await client.shutdown()
        if json {
            print(String(decoding: try JSONCoding.encode(statuses), as: UTF8.self))
        } else {
            for status in statuses {
                let state = status.ready ? "ready" : status.healthy ? "up, not ready" : "down"
                print(status.service.padding(toLength: 20, withPad: " ", startingAt: 0), status.url.padding(toLength: 24, withPad: " ", startingAt: 0), state)
            }
        }
        if !statuses.allSatisfy(\.ready) { throw ExitCode(3) }
    }

    private func answersOK(_ client: HTTPClient, _ url: String) async -> Bool {
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(3))
            return response.status == .ok
        } catch {
            return false
        }
    }
}
