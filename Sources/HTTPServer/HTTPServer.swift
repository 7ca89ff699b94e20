#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Synchronization
import Values

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP request as the server read it.
public struct HTTPRequest: Sendable {
    /// The request method (`GET`, `POST`, ...).
    public var method: String
    /// The request target as sent (`/incidents?limit=10`).
    public var target: String
    /// The path, percent-decoded.
    public var path: String
    /// Query parameters in order, percent-decoded (`statuses[]` repeats).
    public var query: [(name: String, value: String)]
    /// Headers in the order received (names as sent).
    public var headers: [(name: String, value: String)]
    /// The body (at most `HTTPServer.maximumBodyBytes`).
    public var body: [UInt8]

    /// A request, as the server reads it (tests build them directly).
    public init(method: String, target: String, path: String, query: [(name: String, value: String)], headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The fields of an `application/x-www-form-urlencoded` body, percent-decoded, in order.
    public var formFields: [(name: String, value: String)] {
        RequestParser.splitTarget("/?" + String(decoding: body, as: UTF8.self)).1
    }

    /// Every value of a query parameter.
    public func queryValues(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }
    /// The first value of a query parameter.
    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }
}

/// What to answer.
public struct HTTPResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// Headers to send (Content-Length and Connection are the server's).
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]
    /// Close the connection without answering (fault injection: a dropped connection).
    public var drop: Bool

    /// An answer.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], drop: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.drop = drop
    }

    /// A text answer.
    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// No answer: the connection is closed (fault injection).
    public static let dropped = HTTPResponse(status: 0, drop: true)
}

/// A small HTTP/1.1 server: keep-alive, `Content-Length` bodies, a thread per connection, limits
/// on header and body size, and a read timeout, so that no malformed or slow request can crash or
/// hang it. It listens where it is told (127.0.0.1 unless asked otherwise).
public final class HTTPServer: Sendable {
    /// Answers one request; called on the connection's thread.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    /// Largest request head (request line and headers).
    public static let maximumHeadBytes = 64 * 1024
    /// Largest request body.
    public static let maximumBodyBytes = 8 * 1024 * 1024
    /// Seconds a connection may sit idle, or wait for the next bytes of a request, before it
    /// is closed.
    public static let idleSeconds = 30

    /// How long a request may take to arrive, head and body, and how many connections are
    /// served at once (each holds a thread and up to a request's size). A client that trickles
    /// a request gets 408; a connection past the limit is answered 503 and closed.
    public struct Limits: Sendable {
        public var requestSeconds: Double = 60
        public var connections = 512
        public init() {}
    }

    private let handler: Handler
    private let limits: Limits
    private let state = Mutex<(listener: Int32, connections: Set<Int32>, stopped: Bool)>((-1, [], false))
    /// The port it listens on (after `start`).
    public let port: Mutex<UInt16> = Mutex(0)

    /// A server that answers every request with `handler` (after `start`).
    public init(limits: Limits = Limits(), handler: @escaping Handler) {
        self.limits = limits
        self.handler = handler
    }

    /// The server could not listen.
    public struct StartError: Error, CustomStringConvertible {
        /// Why, naming the address.
        public var description: String
    }

    /// Binds `host` (an IPv4 or IPv6 literal; 127.0.0.1 unless given) at `port` (0 picks a free
    /// port), starts accepting, and answers the port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port requested: UInt16 = 0) throws -> UInt16 {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let ipv6 = host.contains(":")
        if ipv6 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = requested.bigEndian
            guard inet_pton(AF_INET6, String(host.drop { $0 == "[" }.reversed().drop { $0 == "]" }.reversed()), &v6.sin6_addr) == 1 else {
                throw StartError(description: "cannot listen on '\(host)': not an IPv6 address")
            }
        } else {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = requested.bigEndian
            guard inet_pton(AF_INET, host, &v4.sin_addr) == 1 else {
                throw StartError(description: "cannot listen on '\(host)': not an IPv4 address (like 127.0.0.1 or 0.0.0.0)")
            }
        }
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "cannot create a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = ipv6
            ? withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
            : withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 256) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw StartError(description: "cannot listen on \(host):\(requested): \(reason)")
        }
        var actual = sockaddr_in6()  // large enough for either family; the port sits at the same offset
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let chosen = UInt16(bigEndian: actual.sin6_port)
        port.withLock { $0 = chosen }
        state.withLock { $0.listener = fd }
        startThread { [self] in acceptLoop(fd) }
        return chosen
    }

    /// Stops accepting and ends every connection. Descriptors are only shut down here, under the
    /// lock, while their owners (the accept loop, each connection's thread) still hold them
    /// open: a descriptor closed here could be reused at once by another socket of the process,
    /// which a late `accept` or `shutdown` would then hit (an accept loop that had not started
    /// yet once took and dropped another server's connections).
    public func stop() {
        state.withLock { state in
            state.stopped = true
            if state.listener >= 0 { shutdown(state.listener, Int32(SHUT_RDWR)) }
            for fd in state.connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Accepts connections until `stop`; owns the listening descriptor and closes it on the way out.
    private func acceptLoop(_ listener: Int32) {
        defer {
            state.withLock { $0.listener = -1 }
            close(listener)
        }
        while true {
            if state.withLock({ $0.stopped }) { return }
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE { usleep(10_000); continue }
                return
            }
            let accepted = state.withLock { state -> Bool? in
                if state.stopped { return nil }
                guard state.connections.count < limits.connections else { return false }
                state.connections.insert(fd)
                return true
            }
            guard let accepted else { close(fd); return }
            guard accepted else {
                // Said without waiting (the socket's buffer takes it), then closed.
                let busy = Array("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n".utf8)
                _ = busy.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
                close(fd)
                continue
            }
            var timeout = timeval(tv_sec: HTTPServer.idleSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            startThread { [self] in
                serve(fd)
                state.withLock { _ = $0.connections.remove(fd) }
                close(fd)
            }
        }
    }

    /// Answers requests on one connection until it closes, errs or asks to close.
    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        while true {
            let parsed = RequestParser.read(fd: fd, buffer: &buffer, requestSeconds: limits.requestSeconds)
            switch parsed {
            case .closed:
                return
            case .bad(let status, let message):
                write(fd, response: .text(status, message + "\n"), keepAlive: false)
                return
            case .request(let request, let keepAlive):
                let response = handler(request)
                if response.drop { return }
                write(fd, response: response, keepAlive: keepAlive)
                if !keepAlive { return }
            }
        }
    }

    private func write(_ fd: Int32, response: HTTPResponse, keepAlive: Bool) {
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        for header in response.headers where header.name.lowercased() != "content-length" && header.name.lowercased() != "connection" {
            head += "\(header.name): \(header.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\nConnection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        let bytes = Array(head.utf8) + response.body
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress.map { $0 + sent }, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            sent += n
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 413: return "Payload Too Large"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }
}

/// Reads one request from a socket, defensively.
enum RequestParser {
    enum Result {
        case request(HTTPRequest, keepAlive: Bool)
        case bad(Int, String)
        case closed
    }

    static func read(fd: Int32, buffer: inout [UInt8], requestSeconds: Double = HTTPServer.Limits().requestSeconds) -> Result {
        // The whole request must arrive within `requestSeconds` of its first byte.
        var deadline: UInt64? = buffer.isEmpty ? nil : monotonicNanoseconds() &+ boundedNanoseconds(requestSeconds)
        func more() -> Receipt {
            let received = receive(fd, into: &buffer, deadline: deadline)
            if deadline == nil && !buffer.isEmpty { deadline = monotonicNanoseconds() &+ boundedNanoseconds(requestSeconds) }
            return received
        }
        // The head: up to an empty line, searched for only in what is new.
        var end = 0
        var separatorLength = 0
        var searched = 0
        while true {
            if let found = findHeadEnd(buffer, from: max(0, searched - 2)) {
                (end, separatorLength) = found
                break
            }
            searched = buffer.count
            if buffer.count > HTTPServer.maximumHeadBytes { return .bad(431, "request head too large") }
            switch more() {
            case .data: continue
            case .late: return .bad(408, "the request took longer than \(Text.seconds(requestSeconds)) s to arrive")
            case .ended: return buffer.isEmpty ? .closed : .bad(400, "incomplete request")
            }
        }
        // Lines are split on bytes: in Swift "\r\n" is one Character.
        var lines = buffer[0..<end].split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        buffer.removeFirst(end + separatorLength)
        // Tolerate blank lines before a request line (RFC 9112 2.2).
        while lines.first?.isEmpty == true { lines.removeFirst() }
        guard let requestLine = lines.first else { return .bad(400, "empty request") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && $0.isUppercase }), parts[1].hasPrefix("/") || parts[1] == "*" else {
            return .bad(400, "malformed request line")
        }
        let version = parts[2]
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { return .bad(505, "only HTTP/1.0 and HTTP/1.1 are supported") }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }), !(line.first == " " || line.first == "\t")
            else { return .bad(400, "malformed header line") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingBlanks()))
        }
        func header(_ name: String) -> [String] { headers.filter { $0.name.lowercased() == name }.map(\.value) }
        if !header("transfer-encoding").isEmpty { return .bad(501, "Transfer-Encoding is not supported; send Content-Length") }
        let lengths = header("content-length")
        var length = 0
        if let first = lengths.first {
            guard Set(lengths).count == 1, !first.isEmpty, first.allSatisfy(\.isNumber), first.count < 12, let value = Int(first) else {
                return .bad(400, "invalid Content-Length")
            }
            length = value
        }
        guard length <= HTTPServer.maximumBodyBytes else { return .bad(413, "request body too large") }
        while buffer.count < length {
            switch more() {
            case .data: continue
            case .late: return .bad(408, "the request took longer than \(Text.seconds(requestSeconds)) s to arrive")
            case .ended: return .bad(400, "incomplete body")
            }
        }
        let body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        let target = String(parts[1])
        let (path, query) = splitTarget(target)
        let connection = header("connection").first?.lowercased() ?? ""
        let keepAlive = version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive"
        return .request(HTTPRequest(method: String(parts[0]), target: target, path: path, query: query, headers: headers, body: body), keepAlive: keepAlive)
    }

    /// Where the head ends: the offset of the blank line and the separator's length. The
    /// search starts at `from`, so a head that arrives a byte at a time is read in linear time.
    private static func findHeadEnd(_ buffer: [UInt8], from: Int = 0) -> (Int, Int)? {
        guard buffer.count >= 2 else { return nil }
        var i = from
        while i < buffer.count - 1 {
            if buffer[i] == 0x0A {
                if buffer[i + 1] == 0x0A { return (i, 2) }
                if buffer[i + 1] == 0x0D, i + 2 < buffer.count, buffer[i + 2] == 0x0A { return (i, 3) }
            }
            i += 1
        }
        return nil
    }

    enum Receipt { case data, ended, late }

    /// Reads what has arrived into `buffer`: `late` when `deadline` passes first, `ended` when
    /// the peer closed, erred or stayed idle past the socket's timeout.
    private static func receive(_ fd: Int32, into buffer: inout [UInt8], deadline: UInt64?) -> Receipt {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            if let deadline {
                let now = monotonicNanoseconds()
                guard now < deadline else { return .late }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(min(Double(deadline - now) / 1e6 + 1, Double(HTTPServer.idleSeconds) * 1000))
                let ready = poll(&poller, 1, milliseconds)
                if ready < 0 && errno == EINTR { continue }
                if ready == 0 { return monotonicNanoseconds() >= deadline ? .late : .ended }
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return .ended }
            buffer.append(contentsOf: chunk[0..<n])
            return .data
        }
    }

    static func splitTarget(_ target: String) -> (String, [(name: String, value: String)]) {
        let pieces = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = percentDecoded(pieces[0])
        var query: [(name: String, value: String)] = []
        if pieces.count > 1 {
            for pair in pieces[1].split(separator: "&") where !pair.isEmpty {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ s: Substring) -> String { percentDecoded(s, plusIsSpace: true) }
                query.append((decode(kv[0]), kv.count > 1 ? decode(kv[1]) : ""))
            }
        }
        return (path, query)
    }
}

/// `%XX` sequences decoded (and `+` as a space, in query strings); a malformed sequence or
/// bytes that are not UTF-8 leave the text as it was.
func percentDecoded(_ text: Substring, plusIsSpace: Bool = false) -> String {
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.popFirst() {
        if byte == UInt8(ascii: "%") {
            guard utf8.count >= 2, let high = hexDigit(utf8[utf8.startIndex]), let low = hexDigit(utf8[utf8.startIndex + 1]) else { return String(text) }
            bytes.append(high << 4 | low)
            utf8 = utf8.dropFirst(2)
        } else {
            bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
        }
    }
    return String(validating: bytes, as: UTF8.self) ?? String(text)
}

