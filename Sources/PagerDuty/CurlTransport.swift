import CCurl
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
import Synchronization

/// HTTP through libcurl's easy interface, for https (PagerDuty itself) and for anything sent
/// through a proxy. libcurl is loaded the first time a request is sent (see CCurl.h), so a
/// process that never uses it does not pay for loading it. libcurl verifies certificates with the
/// system's CA store and keeps connections open between requests on the same handle; handles are
/// pooled for that reason.
public final class CurlTransport: HTTPTransport {
    /// A PEM file of CA certificates to trust instead of the system's (tests; TLS-inspecting
    /// proxies).
    private let caBundle: String?
    let proxies: ProxyVariables
    private let idleHandles = Mutex<[Handle]>([])

    /// A libcurl transport trusting the system's CAs or `caBundle`, with proxies from `environment`.
    public init(caBundle: String? = nil, environment: [String: String] = ProcessEnvironment.current) {
        self.caBundle = caBundle
        proxies = ProxyVariables(environment)
    }

    /// Sends one request through libcurl (loaded on first use).
    public func send(_ request: TransportRequest, timeout: Double) async throws(TransportFailure) -> TransportResponse {
        if let failure = request.unsendableHeader { throw failure }
        let exchange = Exchange(request: request, timeout: timeout, caBundle: caBundle, proxies: proxies)
        let result: Result<TransportResponse, TransportFailure> = await runBlocking {
            // The first request loads libcurl.
            if let why = ccurl_load() {
                return .failure(TransportFailure(kind: .notSent, message: "cannot send to \(request.url.host ?? "?"): \(String(cString: why))"))
            }
            let handle = self.idleHandles.withLock { $0.popLast() } ?? Handle()
            defer { self.idleHandles.withLock { $0.append(handle) } }
            return exchange.perform(on: handle)
        } onCancel: {
            exchange.cancelled.store(true, ordering: .relaxed)
        }
        return try result.get()
    }
}

/// The proxy variables, read as curl reads them: `http_proxy` (never `HTTP_PROXY`, which a CGI
/// request can set), `https_proxy` or `HTTPS_PROXY`, then `all_proxy` or `ALL_PROXY`; hosts in
/// `no_proxy` or `NO_PROXY` go direct (libcurl applies it), and so does this machine, always: the
/// sandbox works whatever the proxy variables say.
struct ProxyVariables: Sendable {
    let http: String?
    let https: String?
    let noProxy: String?

    init(_ environment: [String: String]) {
        func first(_ names: String...) -> String? { names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty } }
        let all = first("all_proxy", "ALL_PROXY")
        http = first("http_proxy") ?? all
        https = first("https_proxy", "HTTPS_PROXY") ?? all
        noProxy = first("no_proxy", "NO_PROXY")
    }

    func proxy(for url: URL) -> String? {
        if PagerDutyConfiguration.isLoopback(url.host ?? "") { return nil }
        return url.scheme?.lowercased() == "https" ? https : http
    }
}

/// An easy handle. curl_easy_reset between requests keeps its live connections.
private final class Handle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer?
    init() { pointer = ccurl_easy_init() }
    deinit { if let pointer { ccurl_easy_cleanup(pointer) } }
}

/// One request's state, shared with libcurl's callbacks through an unmanaged pointer.
private final class Exchange: @unchecked Sendable {
    let request: TransportRequest
    let timeout: Double
    let caBundle: String?
    let proxies: ProxyVariables
    let cancelled = Atomic(false)
    var body: [UInt8] = []
    var headers: [String: String] = [:]

    init(request: TransportRequest, timeout: Double, caBundle: String?, proxies: ProxyVariables) {
        self.request = request
        self.timeout = timeout
        self.caBundle = caBundle
        self.proxies = proxies
    }

    var host: String { request.url.host ?? "?" }

    func perform(on handle: Handle) -> Result<TransportResponse, TransportFailure> {
        guard let curl = handle.pointer else {
            return .failure(TransportFailure(kind: .notSent, message: "cannot send to \(host): libcurl could not create a handle"))
        }
        ccurl_easy_reset(curl)
        let context = Unmanaged.passUnretained(self).toOpaque()
        var headerList: UnsafeMutableRawPointer?
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            headerList = ccurl_slist_append(headerList, "\(name): \(value)")
        }
        // libcurl adds "Expect: 100-continue" to larger bodies; PagerDuty does not need the
        // extra round trip.
        headerList = ccurl_slist_append(headerList, "Expect:")
        defer { ccurl_slist_free_all(headerList) }
        // libcurl keeps pointers to these until the transfer ends, so they are allocated here
        // and freed after it.
        let url = strdup(request.url.absoluteString)
        let method = strdup(request.method)
        let caFile = caBundle.map { strdup($0) }
        // Always set, so that libcurl applies exactly the variables this transport was given.
        let proxy = strdup(proxies.proxy(for: request.url) ?? "")
        let noProxy = proxies.noProxy.map { strdup($0) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CCURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CCURL_ERROR_SIZE))
        let requestBody = request.body ?? []
        let bodyBytes = UnsafeMutableRawPointer.allocate(byteCount: max(1, requestBody.count), alignment: 1)
        requestBody.withUnsafeBytes { if let base = $0.baseAddress { bodyBytes.copyMemory(from: base, byteCount: $0.count) } }
        defer {
            free(url)
            free(method)
            caFile.map { free($0) }
            free(proxy)
            noProxy.map { free($0) }
            errorBuffer.deallocate()
            bodyBytes.deallocate()
        }
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_URL), url)
        _ = ccurl_setopt_long(curl, Int32(CCURLOPT_NOSIGNAL), 1)
        // libcurl resends a request silently when a reused connection turns out dead; only a
        // request that is safe to repeat may take that risk.
        if !request.idempotent { _ = ccurl_setopt_long(curl, Int32(CCURLOPT_FRESH_CONNECT), 1) }
        _ = ccurl_setopt_long(curl, Int32(CCURLOPT_TIMEOUT_MS), max(1, Int(min(max(timeout, 0), 86_400 * 365) * 1000)))
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_ERRORBUFFER), errorBuffer)
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_HTTPHEADER), headerList)
        if let caFile { _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_CAINFO), caFile) }
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_PROXY), proxy)
        if let noProxy { _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_NOPROXY), noProxy) }
        switch (request.method, request.body) {
        case (_, .some):
            _ = ccurl_setopt_long(curl, Int32(CCURLOPT_POST), 1)
            _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_POSTFIELDS), bodyBytes)
            _ = ccurl_setopt_int64(curl, Int32(CCURLOPT_POSTFIELDSIZE_LARGE), Int64(requestBody.count))
        case ("HEAD", nil): _ = ccurl_setopt_long(curl, Int32(CCURLOPT_NOBODY), 1)
        default: _ = ccurl_setopt_long(curl, Int32(CCURLOPT_HTTPGET), 1)
        }
        if !["GET", "POST", "HEAD"].contains(request.method) {
            _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_CUSTOMREQUEST), method)
        }
        _ = ccurl_setopt_data_callback(curl, Int32(CCURLOPT_WRITEFUNCTION), curlWrite)
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_WRITEDATA), context)
        _ = ccurl_setopt_data_callback(curl, Int32(CCURLOPT_HEADERFUNCTION), curlHeader)
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_HEADERDATA), context)
        _ = ccurl_setopt_long(curl, Int32(CCURLOPT_NOPROGRESS), 0)
        _ = ccurl_setopt_progress_callback(curl, Int32(CCURLOPT_XFERINFOFUNCTION), curlProgress)
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_XFERINFODATA), context)
        let code = ccurl_easy_perform(curl)
        if code == 0 {
            var status = 0
            _ = ccurl_getinfo_long(curl, Int32(CCURLINFO_RESPONSE_CODE), &status)
            return .success(TransportResponse(status: status, headers: headers, body: body))
        }
        let detail = String(cString: errorBuffer)
        let reason = detail.isEmpty ? String(cString: ccurl_easy_strerror(code)) : detail
        return .failure(failure(code: code, reason: reason))
    }

    /// libcurl's error codes (curl.h, CURLcode), sorted by whether the request surely did not
    /// arrive.
    private func failure(code: Int32, reason: String) -> TransportFailure {
        switch code {
        case 3:  // malformed URL
            return TransportFailure(kind: .notSent, message: "cannot send to \(request.url.absoluteString): \(reason)")
        case 5, 6, 7:  // could not resolve the proxy or the host; could not connect (the proxy included)
            return TransportFailure(kind: .notSent, message: "cannot connect to \(host): \(reason)")
        case 35, 53, 54, 58, 59, 60, 66, 77, 80, 83, 90, 91:  // TLS handshake and certificate failures
            return TransportFailure(kind: .notSent, message: "cannot connect securely to \(host): \(reason)")
        case 28:
            return TransportFailure(kind: .uncertain, message: "no answer from \(host) within \(Int(timeout)) s (pagerduty.timeout)")
        case 42:  // the progress callback aborted: cancelled
            return TransportFailure(kind: .uncertain, message: "the request to \(host) was cancelled")
        case 23:  // the write callback refused the body
            return .tooLarge(host)
        default:
            return TransportFailure(kind: .uncertain, message: "network error talking to \(host): \(reason)")
        }
    }
}

private func exchange(_ context: UnsafeMutableRawPointer?) -> Exchange {
    Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
}

private let curlWrite: ccurl_data_callback = { data, size, count, context in
    let exchange = exchange(context)
    let length = size * count
    if exchange.body.count + length > TransportResponse.maxBodyBytes {
        return 0
    }
    if let data { exchange.body += UnsafeRawBufferPointer(start: data, count: length) }
    return length
}

/// Each header line of each answer (after a redirect or `100 Continue` a new status line comes,
/// and the headers start over).
private let curlHeader: ccurl_data_callback = { data, size, count, context in
    let exchange = exchange(context)
    let length = size * count
    guard let data else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        exchange.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingSpacesAndLines()
        exchange.headers[name] = exchange.headers[name].map { "\($0), \(value)" } ?? value
    }
    return length
}

/// Called often while a transfer runs; a non-zero answer aborts it (cancellation).
private let curlProgress: ccurl_progress_callback = { context, _, _, _, _ in
    exchange(context).cancelled.load(ordering: .relaxed) ? 1 : 0
}
