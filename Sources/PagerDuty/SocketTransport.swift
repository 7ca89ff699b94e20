#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import Synchronization
import Values

/// HTTP/1.1 over a TCP socket: `http://` URLs (the sandbox and other local servers), and
/// `https://` through OpenSSL's libssl where it can be loaded (`TLS.available`).
///
/// It exists for start-up time: plain http loads nothing and https loads libssl alone, where
/// libcurl costs a process 5-6 ms to load with its thirty libraries. It keeps idle connections
/// for reuse, sends each request in one write, reads `Content-Length`, chunked and
/// close-delimited answers, and enforces the deadline itself. A request on a reused connection
/// that the server had already closed (nothing came back) is sent once more on a fresh
/// connection, as curl does.
public final class SocketTransport: HTTPTransport {
    /// Idle connections per "scheme host port", most recent last.
    private let idle = Mutex<[String: [Idle]]>([:])
    /// The most idle connections kept per server.
    private let keepPerServer = 4
    /// The CA file https trusts (PEM); OpenSSL's default paths when nil.
    private let caBundle: String?
    /// The TLS context, made on the first https request.
    private let tlsContext = Mutex<TLS.Context?>(nil)

    /// A transport with no connections yet; https trusts `caBundle` or the system's CAs.
    public init(caBundle: String? = nil) {
        self.caBundle = caBundle
    }

    deinit {
        for connections in idle.withLock({ $0 }).values { for connection in connections { close(connection.fd) } }
    }

    /// Sends one request and reads the answer, within `timeout` seconds in all.
    public func send(_ request: TransportRequest, timeout: Double) async throws(TransportFailure) -> TransportResponse {
        let cancel = CancelFlag()
        let result = await runBlocking {
            self.exchange(request, deadline: Deadline(seconds: timeout), cancel: cancel)
        } onCancel: {
            cancel.set()
        }
        return try result.get()
    }

    private func exchange(_ request: TransportRequest, deadline: Deadline, cancel: CancelFlag) -> Result<TransportResponse, TransportFailure> {
        guard let target = Target(request.url) else {
            return .failure(TransportFailure(kind: .notSent, message: "cannot send to \(request.url.absoluteString): not an http(s)://host/path URL"))
        }
        if let failure = request.unsendableHeader { return .failure(failure) }
        var context: TLS.Context?
        if target.secure {
            switch self.context() {
            case .success(let made): context = made
            case .failure(let failure): return .failure(failure)
            }
        }
        let bytes = target.requestBytes(request)
        // Only a request that is safe to repeat may ride a kept connection: if the server drops
        // it having read the request, the request is sent once more on a new one.
        var reused = request.idempotent
        while true {
            let connection: Connection
            if reused, let kept = takeIdle(target.key) {
                connection = Connection(fd: kept.fd, host: target.host, deadline: deadline, cancel: cancel, tls: kept.tls)
            } else {
                reused = false
                switch Connection.open(target, deadline: deadline, cancel: cancel, tls: context) {
                case .success(let opened): connection = opened
                case .failure(let failure): return .failure(failure)
                }
            }
            switch connection.exchange(bytes, method: request.method) {
            case .success(let (response, keepAlive)):
                if keepAlive { putIdle(target.key, Idle(fd: connection.fd, tls: connection.tls)) } else { close(connection.fd) }
                return .success(response)
            case .failure(let failure):
                close(connection.fd)
                // A kept connection the server closed while idle: nothing was answered, so the
                // request goes once more on a new connection.
                if reused, failure.staleConnection { reused = false; continue }
                return .failure(failure.transportFailure)
            }
        }
    }

    /// Reads one answer from a connected socket: what `send` does after writing the request. For
    /// the fuzz target (fuzz/HTTPResponseFuzz.swift).
    static func readAnswer(fd: Int32, method: String, timeout: Double) -> Result<TransportResponse, TransportFailure> {
        var reader = Reader(connection: Connection(fd: fd, host: "fuzz", deadline: Deadline(seconds: timeout), cancel: CancelFlag()))
        do {
            return .success(try reader.response(method: method).0)
        } catch {
            return .failure(error.transportFailure)
        }
    }

    /// The TLS context for https, made once it can be: a CA file that cannot be read fails the
    /// request (nothing sent) and is tried again on the next one.
    private func context() -> Result<TLS.Context, TransportFailure> {
        tlsContext.withLock { made in
            if let made { return .success(made) }
            let result = TLS.Context.make(caBundle: caBundle)
            if case .success(let context) = result { made = context }
            return result
        }
    }

    private func takeIdle(_ key: String) -> Idle? {
        while let kept = idle.withLock({ $0[key]?.popLast() }) {
            // An idle connection with something to read has been closed by the server (or sent
            // something unasked): either way it cannot carry a request.
            var poller = pollfd(fd: kept.fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 0) == 0 { return kept }
            close(kept.fd)
        }
        return nil
    }

    private func putIdle(_ key: String, _ kept: Idle) {
        let extra: Idle? = idle.withLock { pool in
            pool[key, default: []].append(kept)
            return pool[key]!.count > keepPerServer ? pool[key]!.removeFirst() : nil
        }
        if let extra { close(extra.fd) }
    }
}

/// A kept connection: its socket, and its TLS state over https.
struct Idle {
    let fd: Int32
    let tls: TLS.Session?
}

/// A monotonic deadline.
struct Deadline {
    let seconds: Double
    private let end: UInt64

    init(seconds: Double) {
        self.seconds = seconds
        // Bounded before converting: a timeout of 1e30 or inf must not trap.
        end = monotonicNanoseconds() &+ boundedNanoseconds(seconds)
    }

    /// Milliseconds left, rounded up so that a poll never spins at zero before the end.
    var remainingMilliseconds: Int {
        let now = monotonicNanoseconds()
        return now >= end ? 0 : Int((end - now + 999_999) / 1_000_000)
    }
}

/// Where a request goes: host, port, and the request target (path and query).
struct Target {
    let host: String
    let port: Int
    let path: String
    /// https: TLS over the connection.
    let secure: Bool
    /// The Host header: the port only when the URL names one.
    let hostHeader: String
    var key: String { "\(secure ? "https" : "http") \(host) \(port)" }

    init?(_ url: URL) {
        // URLComponents keeps an IPv6 literal's brackets ("[::1]"): right for the Host header,
        // not for getaddrinfo.
        let scheme = url.scheme?.lowercased()
        guard scheme == "http" || scheme == "https", let components = URLComponents(url: url, resolvingAgainstBaseURL: false),
            let written = components.host, !written.isEmpty
        else { return nil }
        secure = scheme == "https"
        host = written.hasPrefix("[") && written.hasSuffix("]") ? String(written.dropFirst().dropLast()) : written
        port = components.port ?? (secure ? 443 : 80)
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        self.path = components.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
        hostHeader = components.port.map { "\(written):\($0)" } ?? written
    }

    func requestBytes(_ request: TransportRequest) -> [UInt8] {
        var head = "\(request.method) \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key })
        where !["host", "content-length", "connection", "transfer-encoding"].contains(name.lowercased()) {
            head += "\(name): \(value)\r\n"
        }
        if let body = request.body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (request.body ?? [])
    }
}
