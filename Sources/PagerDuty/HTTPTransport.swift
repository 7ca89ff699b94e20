import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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

/// Sends HTTP requests. `URLSessionTransport` is the real one.
public protocol HTTPTransport: Sendable {
    func send(_ request: TransportRequest, timeout: Double) async throws(TransportFailure) -> TransportResponse
}

/// HTTP over URLSession: one session per transport, so connections are reused.
private struct DeadlineExceeded: Error {}

public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 4
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration)
    }

    public func send(_ request: TransportRequest, timeout: Double) async throws(TransportFailure) -> TransportResponse {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if let body = request.body { urlRequest.httpBody = Data(body) }
        do {
            let (data, response) = try await exchange(urlRequest, timeout: timeout)
            guard let http = response as? HTTPURLResponse else {
                throw TransportFailure(kind: .uncertain, message: "the answer from \(request.url.host ?? "?") was not HTTP")
            }
            var headers: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            return TransportResponse(status: http.statusCode, headers: headers, body: Array(data))
        } catch let failure as TransportFailure {
            throw failure
        } catch is DeadlineExceeded {
            throw TransportFailure(kind: .uncertain, message: "no answer from \(request.url.host ?? "?") within \(Int(timeout)) s (pagerduty.timeout)")
        } catch let error as URLError {
            let host = request.url.host ?? "?"
            switch error.code {
            case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed:
                throw TransportFailure(kind: .notSent, message: "cannot connect to \(host): \(error.localizedDescription)")
            case .timedOut:
                throw TransportFailure(kind: .uncertain, message: "no answer from \(host) within \(Int(timeout)) s (pagerduty.timeout)")
            case .cancelled:
                throw TransportFailure(kind: .uncertain, message: "the request to \(host) was cancelled")
            default:
                throw TransportFailure(kind: .uncertain, message: "network error talking to \(host): \(error.localizedDescription)")
            }
        } catch {
            throw TransportFailure(kind: .uncertain, message: "network error: \(error.localizedDescription)")
        }
    }

    /// One exchange with a hard deadline (URLSession's own timeout on Linux bounds idle time at
    /// best), cancelled with the calling task.
    private func exchange(_ request: URLRequest, timeout: Double) async throws -> (Data, URLResponse) {
        let box = TaskBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                let once = OnceFlag()
                let task = session.dataTask(with: request) { data, response, error in
                    guard once.take() else { return }
                    if let data, let response {
                        continuation.resume(returning: (data, response))
                    } else {
                        continuation.resume(throwing: error ?? URLError(.unknown))
                    }
                }
                box.set(task)
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                    guard once.take() else { return }
                    task.cancel()
                    continuation.resume(throwing: DeadlineExceeded())
                }
                task.resume()
            }
        } onCancel: {
            box.cancel()
        }
    }
}

/// True the first time `take` is called, false after: the deadline and the answer race to
/// resume the continuation exactly once.
private final class OnceFlag: Sendable {
    private let taken = Mutex(false)
    func take() -> Bool { taken.withLock { value in defer { value = true }; return !value } }
}

/// The data task, for cancelling it from another thread.
private final class TaskBox: Sendable {
    private let task = Mutex<URLSessionDataTask?>(nil)
    func set(_ value: URLSessionDataTask) { task.withLock { $0 = value } }
    func cancel() { task.withLock { $0?.cancel() } }
}
