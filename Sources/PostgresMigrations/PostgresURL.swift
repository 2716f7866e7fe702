import Foundation
import PostgresNIO

extension PostgresClient.Configuration {
    /// A configuration from `postgres://user:password@host:port/database` (password
    /// percent-decoded, TLS off, 3 s connect timeout); `nil` without a host or user.
    public init?(url: URL) {
        guard let host = url.host, let user = url.user, !user.isEmpty else { return nil }
        self.init(
            host: host, port: url.port ?? 5432, username: user,
            password: url.password?.removingPercentEncoding ?? url.password,
            database: url.path.count > 1 ? String(url.path.dropFirst()) : nil, tls: .disable)
        options.connectTimeout = .seconds(3)
    }
}
