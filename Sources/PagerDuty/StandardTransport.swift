#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Values
#if canImport(Glibc)
import Glibc
#endif

/// The transport pdstep uses: plain `http://` goes over `SocketTransport` (nothing to load, so a
/// step against the sandbox starts fast); `https://`, and plain http to another machine when a
/// proxy variable is set, go through libcurl (`CurlTransport`), which does TLS and proxies.
///
/// FoundationNetworking's URLSession is not used: on Linux it is libcurl underneath, and linking
/// it makes every process load libcurl at start-up, network or not.
public final class StandardTransport: HTTPTransport {
    private let socket = SocketTransport()
    private let curl: CurlTransport

    /// `environment` holds the proxy variables (see `ProxyVariables`).
    public init(caBundle: String? = nil, environment: [String: String] = ProcessEnvironment.current) {
        curl = CurlTransport(caBundle: caBundle, environment: environment)
    }

    /// Sends over the transport that fits the URL (own client for http, libcurl for https).
    public func send(_ request: TransportRequest, timeout: Double) async throws(TransportFailure) -> TransportResponse {
        // Plain http is left to libcurl only when a proxy may apply to it.
        if request.url.scheme?.lowercased() == "http" && curl.proxies.proxy(for: request.url) == nil {
            return try await socket.send(request, timeout: timeout)
        }
        return try await curl.send(request, timeout: timeout)
    }
}
