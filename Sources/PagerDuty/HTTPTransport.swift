import Foundation

/// One HTTP exchange, as the client sees it.
public struct TransportRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: [UInt8]?
}

public struct TransportResponse: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]
}

/// Why no answer came back.
public struct TransportFailure: Error, Sendable {
    public enum Kind: Sendable {
        /// The connection was refused or the host not found: the request surely did not arrive.
        case notSent
        /// It timed out or the connection broke: the request may or may not have taken effect.
        case uncertain
    }

    public var kind: Kind
    public var message: String
}

/// Sends HTTP requests. `StandardTransport` is the real one.
public protocol HTTPTransport: Sendable {
    func send(_ request: TransportRequest, timeout: Double) async throws(TransportFailure) -> TransportResponse
}

/// The transport pdstep uses: plain `http://` goes over `SocketTransport` (nothing to load, so a
/// step against the sandbox starts fast); `https://`, and plain http when a proxy variable is
/// set, go through libcurl (`CurlTransport`), which does TLS and proxies.
///
/// FoundationNetworking's URLSession is not used: on Linux it is libcurl underneath, and linking
/// it makes every process load libcurl at start-up, network or not.
public final class StandardTransport: HTTPTransport {
    private let socket = SocketTransport()
    private let curl: CurlTransport

    /// `environment` holds the proxy variables (see `ProxyVariables`).
    public init(caBundle: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        curl = CurlTransport(caBundle: caBundle, environment: environment)
    }

    public func send(_ request: TransportRequest, timeout: Double) async throws(TransportFailure) -> TransportResponse {
        // Plain http is left to libcurl when a proxy may apply to it (libcurl applies no_proxy).
        if request.url.scheme?.lowercased() == "http" && curl.proxies.http == nil {
            return try await socket.send(request, timeout: timeout)
        }
        return try await curl.send(request, timeout: timeout)
    }
}
