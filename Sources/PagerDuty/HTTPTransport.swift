#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Values

/// One HTTP exchange, as the client sees it.
public struct TransportRequest: Sendable {
    /// The HTTP method.
    public var method: String
    /// Where it goes (http or https).
    public var url: URL
    /// Headers to send (a value with a line break is refused).
    public var headers: [String: String]
    /// The body bytes, if any.
    public var body: [UInt8]?
    /// Safe to send twice. A request that is not goes only over a new connection, so that a
    /// kept connection the server drops cannot make a transport send it again unseen.
    public var idempotent: Bool = true

    /// A request.
    public init(method: String, url: URL, headers: [String: String], body: [UInt8]?, idempotent: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.idempotent = idempotent
    }

    /// A header that cannot be sent as it is: a line break in a name or value would end the
    /// header early and let the rest pass as headers of its own. nil when all are fine.
    var unsendableHeader: TransportFailure? {
        for (name, value) in headers where name.isEmpty || (name + value).utf8.contains(where: { $0 == 13 || $0 == 10 }) {
            return TransportFailure(kind: .notSent, message: "cannot send to \(url.host ?? "?"): the \(name.isEmpty ? "unnamed" : name) header holds a line break")
        }
        return nil
    }
}

/// An HTTP answer, whatever its status.
public struct TransportResponse: Sendable {
    /// The largest body a transport accepts; a bigger one is refused rather than held in memory
    /// (PagerDuty's largest pages are a few MB).
    static let maxBodyBytes = 64 << 20
    /// The most bytes of status line and headers accepted (libcurl's own limit is about 300 KB).
    static let maxHeaderBytes = 300 << 10

    /// The HTTP status.
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    /// The body bytes (at most `maxBodyBytes`).
    public var body: [UInt8]
}

/// Why no answer came back.
public struct TransportFailure: Error, Sendable {
    /// Whether the request may have arrived.
    public enum Kind: Sendable {
        /// The connection was refused or the host not found: the request surely did not arrive.
        case notSent
        /// It timed out or the connection broke: the request may or may not have taken effect.
        case uncertain
    }

    /// Whether the request may have arrived (decides whether a write is retried).
    public var kind: Kind
    /// What happened, naming the host.
    public var message: String

    static func tooLarge(_ host: String) -> TransportFailure {
        TransportFailure(kind: .uncertain, message: "the answer from \(host) is larger than \(TransportResponse.maxBodyBytes >> 20) MB")
    }
}

/// Sends HTTP requests. `StandardTransport` is the real one.
public protocol HTTPTransport: Sendable {
    func send(_ request: TransportRequest, timeout: Double) async throws(TransportFailure) -> TransportResponse
}

/// Runs a transport's blocking socket or libcurl calls on a Dispatch thread, never on the
/// cooperative pool that the steps' async code shares, or right here where the task has a thread
/// of its own (`BlockingCalls.inline`: one step from the command line); `onCancel` runs if the
/// calling task is cancelled meanwhile.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T, onCancel: @escaping @Sendable () -> Void) async -> T {
    await withTaskCancellationHandler {
        if BlockingCalls.inline { return body() }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    } onCancel: {
        onCancel()
    }
}
