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

/// The transport pdstep uses: `SocketTransport`, pdstep's own HTTP/1.1 client, for plain
/// `http://` (nothing to load, so a step against the sandbox starts fast) and for `https://`
/// over OpenSSL's libssl (loaded on the first https request); libcurl (`CurlTransport`) for
/// whatever goes through a proxy, and for https where libssl 3 cannot be loaded.
///
/// FoundationNetworking's URLSession is not used: on Linux it is libcurl underneath, and linking
/// it makes every process load libcurl at start-up, network or not.
public final class StandardTransport: HTTPTransport {
    private let socket: SocketTransport
    private let curl: CurlTransport

    /// `environment` holds the proxy variables (see `ProxyVariables`).
    public init(caBundle: String? = nil, environment: [String: String] = ProcessEnvironment.current) {
        socket = SocketTransport(caBundle: caBundle)
        curl = CurlTransport(caBundle: caBundle, environment: environment)
    }

    /// Sends over the transport that fits the URL.
    public func send(_ request: TransportRequest, timeout: Double) async throws(TransportFailure) -> TransportResponse {
        let scheme = request.url.scheme?.lowercased()
        let direct = curl.proxies.proxy(for: request.url) == nil
        if direct && (scheme == "http" || (scheme == "https" && TLS.available)) {
            return try await socket.send(request, timeout: timeout)
        }
        return try await curl.send(request, timeout: timeout)
    }
}
