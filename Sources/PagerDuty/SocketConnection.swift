#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import CTLS
import Values

// The connection under `SocketTransport`: connecting, TLS, writing a request and reading its
// answer, each bounded by the request's deadline.

/// A failed exchange, and whether it failed the way a stale kept connection does.
struct ExchangeFailure: Error {
    var transportFailure: TransportFailure
    var staleConnection = false
}

/// One TCP connection (with TLS over https), blocking calls bounded by the deadline.
struct Connection {
    let fd: Int32
    let host: String
    let deadline: Deadline
    let cancel: CancelFlag
    var tls: TLS.Session? = nil

    /// Resolves the host, connects to the first address that answers and, with `tls`, makes the
    /// TLS handshake. Every failure here means the request surely was not sent.
    static func open(_ target: Target, deadline: Deadline, cancel: CancelFlag, tls: TLS.Context?) -> Result<Connection, TransportFailure> {
        let opened = openTCP(target, deadline: deadline, cancel: cancel)
        guard let context = tls, case .success(var connection) = opened else { return opened }
        switch connection.handshake(context) {
        case .success(let session):
            connection.tls = session
            return .success(connection)
        case .failure(let failure):
            close(connection.fd)
            return .failure(failure)
        }
    }

    /// The TLS handshake: the certificate and the host name checked by OpenSSL.
    private func handshake(_ context: TLS.Context) -> Result<TLS.Session, TransportFailure> {
        func refused(_ why: String) -> Result<TLS.Session, TransportFailure> {
            .failure(TransportFailure(kind: .notSent, message: "cannot connect securely to \(host): \(why)"))
        }
        guard let session = TLS.Session(context, fd: fd, host: host) else { return refused("OpenSSL cannot start a connection") }
        while true {
            let status = ctls_handshake(session.pointer)
            switch status {
            case Int32(CTLS_DONE):
                return .success(session)
            case Int32(CTLS_WANT_READ), Int32(CTLS_WANT_WRITE):
                switch wait(for: Int16(status == Int32(CTLS_WANT_READ) ? POLLIN : POLLOUT)) {
                case .ready: continue
                case .timedOut: return refused("no TLS handshake within \(Int(deadline.seconds)) s (pagerduty.timeout)")
                case .cancelled: return .failure(TransportFailure(kind: .notSent, message: "the request to \(host) was cancelled"))
                }
            default:
                return refused(session.failure())
            }
        }
    }

    private static func openTCP(_ target: Target, deadline: Deadline, cancel: CancelFlag) -> Result<Connection, TransportFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(TransportFailure(kind: .notSent, message: "cannot connect to \(target.host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var address: UnsafeMutablePointer<addrinfo>? = first
        while let current = address {
            address = current.pointee.ai_next
            let fd = socket(current.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if connect(fd, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                let connection = Connection(fd: fd, host: target.host, deadline: deadline, cancel: cancel)
                switch connection.wait(for: Int16(POLLOUT)) {
                case .ready:
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    if error == 0 { return .success(connection) }
                    lastError = String(cString: strerror(error))
                case .timedOut:
                    close(fd)
                    return .failure(TransportFailure(kind: .notSent, message: "cannot connect to \(target.host): no connection within \(Int(deadline.seconds)) s (pagerduty.timeout)"))
                case .cancelled:
                    close(fd)
                    return .failure(TransportFailure(kind: .notSent, message: "the request to \(target.host) was cancelled"))
                }
            } else {
                lastError = String(cString: strerror(errno))
            }
            close(fd)
        }
        return .failure(TransportFailure(kind: .notSent, message: "cannot connect to \(target.host) port \(target.port): \(lastError)"))
    }

    enum Wait { case ready, timedOut, cancelled }

    /// Waits until the socket is ready, in slices short enough to notice cancellation.
    func wait(for events: Int16) -> Wait {
        while true {
            if cancel.isSet { return .cancelled }
            let left = deadline.remainingMilliseconds
            if left == 0 { return .timedOut }
            var poller = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, 100)))
            if ready > 0 { return .ready }
            if ready < 0 && errno != EINTR { return .ready }  // the next call reports the error
        }
    }

    func uncertain(_ message: String) -> ExchangeFailure {
        ExchangeFailure(transportFailure: TransportFailure(kind: .uncertain, message: message))
    }

    func waitFailure(_ wait: Wait) -> ExchangeFailure {
        wait == .cancelled
            ? uncertain("the request to \(host) was cancelled")
            : uncertain("no answer from \(host) within \(Int(deadline.seconds)) s (pagerduty.timeout)")
    }

    /// Sends the request and reads the answer; also says whether the connection can be kept.
    func exchange(_ bytes: [UInt8], method: String) -> Result<(TransportResponse, Bool), ExchangeFailure> {
        var sent = 0
        while sent < bytes.count {
            if let tls {
                var count: Int32 = 0
                let status = bytes.withUnsafeBytes { ctls_write(tls.pointer, $0.baseAddress! + sent, Int32(clamping: $0.count - sent), &count) }
                switch status {
                case Int32(CTLS_DONE):
                    sent += Int(count)
                case Int32(CTLS_WANT_READ), Int32(CTLS_WANT_WRITE):
                    let wait = wait(for: Int16(status == Int32(CTLS_WANT_READ) ? POLLIN : POLLOUT))
                    if wait != .ready { return .failure(waitFailure(wait)) }
                default:
                    var failure = uncertain("the connection to \(host) broke while sending: \(tls.failure())")
                    failure.staleConnection = true
                    return .failure(failure)
                }
                continue
            }
            let count = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count > 0 { sent += count; continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                let wait = wait(for: Int16(POLLOUT))
                if wait != .ready { return .failure(waitFailure(wait)) }
                continue
            }
            var failure = uncertain("the connection to \(host) broke while sending: \(String(cString: strerror(errno)))")
            failure.staleConnection = true
            return .failure(failure)
        }
        var reader = Reader(connection: self)
        do {
            return .success(try reader.response(method: method))
        } catch {
            return .failure(error)
        }
    }
}

/// Reads an HTTP/1.1 answer from a connection, through one buffer.
struct Reader {
    let connection: Connection
    var buffer: [UInt8] = []
    var start = 0
    /// Bytes received in all: zero means the server answered nothing at all.
    var received = 0

    init(connection: Connection) { self.connection = connection }

    /// Appends what the socket has; false at end of stream.
    mutating func fill() throws(ExchangeFailure) -> Bool {
        if start > 65536 { buffer.removeFirst(start); start = 0 }
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count: Int
            if let tls = connection.tls {
                // OpenSSL may hold decrypted bytes the socket no longer shows: it is asked first,
                // and the socket waited for only when it wants more.
                var read: Int32 = 0
                let status = chunk.withUnsafeMutableBytes { ctls_read(tls.pointer, $0.baseAddress!, Int32($0.count), &read) }
                switch status {
                case Int32(CTLS_DONE): count = Int(read)
                case Int32(CTLS_CLOSED): return false
                case Int32(CTLS_WANT_READ), Int32(CTLS_WANT_WRITE):
                    let wait = connection.wait(for: Int16(status == Int32(CTLS_WANT_READ) ? POLLIN : POLLOUT))
                    if wait != .ready { throw connection.waitFailure(wait) }
                    continue
                default:
                    throw closed(tls.failure())
                }
            } else {
                count = chunk.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress!, $0.count, 0) }
            }
            if count > 0 {
                // A server that keeps sending never makes the socket wait, so the deadline is
                // checked here too.
                if connection.cancel.isSet || connection.deadline.remainingMilliseconds == 0 {
                    throw connection.waitFailure(connection.cancel.isSet ? .cancelled : .timedOut)
                }
                buffer += chunk[0..<count]
                received += count
                if buffer.count - start > TransportResponse.maxBodyBytes {
                    throw ExchangeFailure(transportFailure: .tooLarge(connection.host))
                }
                return true
            }
            if count == 0 { return false }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                let wait = connection.wait(for: Int16(POLLIN))
                if wait != .ready { throw connection.waitFailure(wait) }
                continue
            }
            throw closed(String(cString: strerror(errno)))
        }
    }

    func closed(_ why: String) -> ExchangeFailure {
        var failure = connection.uncertain(
            received == 0
                ? "the connection to \(connection.host) closed without an answer (\(why))"
                : "the connection to \(connection.host) closed before the answer was complete (\(why))")
        failure.staleConnection = received == 0
        return failure
    }

    /// The next line, without its CRLF (a bare LF is accepted too).
    mutating func line() throws(ExchangeFailure) -> String {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let text = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return text
            }
            if buffer.count - start > 65536 { throw connection.uncertain("the answer from \(connection.host) has a header line longer than 64 KB") }
            guard try fill() else { throw closed("end of stream") }
        }
    }

    mutating func bytes(_ count: Int) throws(ExchangeFailure) -> ArraySlice<UInt8> {
        while buffer.count - start < count {
            guard try fill() else { throw closed("end of stream") }
        }
        defer { start += count }
        return buffer[start..<start + count]
    }

    mutating func response(method: String) throws(ExchangeFailure) -> (TransportResponse, Bool) {
        let headStart = received - (buffer.count - start)
        /// Status lines and headers of this answer (interim answers included) are bounded.
        func checkHeadSize(_ reader: Reader) throws(ExchangeFailure) {
            if reader.received - (reader.buffer.count - reader.start) - headStart > TransportResponse.maxHeaderBytes {
                throw reader.connection.uncertain("the answer from \(reader.connection.host) has more than \(TransportResponse.maxHeaderBytes >> 10) KB of headers")
            }
        }
        while true {
            let statusLine = try line()
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
                throw connection.uncertain("the answer from \(connection.host) was not HTTP (\(statusLine.prefix(40).debugDescription))")
            }
            var headers: [String: String] = [:]
            while true {
                let header = try line()
                try checkHeadSize(self)
                if header.isEmpty { break }
                guard let colon = header.firstIndex(of: ":") else {
                    throw connection.uncertain("the answer from \(connection.host) has a malformed header line")
                }
                let name = header[..<colon].lowercased()
                let value = header[header.index(after: colon)...].trimmingSpaces()
                headers[name] = headers[name].map { "\($0), \(value)" } ?? value
            }
            // 100 Continue and other interim answers come before the real one.
            if (100..<200).contains(status) && status != 101 { continue }

            let http10 = parts[0] == "HTTP/1.0"
            let connectionTokens = (headers["connection"] ?? "").lowercased()
            var keepAlive = http10 ? connectionTokens.includes("keep-alive") : !connectionTokens.includes("close")
            var body: [UInt8] = []
            if method == "HEAD" || status == 204 || status == 304 {
            } else if (headers["transfer-encoding"] ?? "").lowercased().includes("chunked") {
                body = try chunked()
            } else if let lengthText = headers["content-length"] {
                guard let length = Int(lengthText.split(separator: ",").first.map { $0.trimmingSpaces() } ?? ""), length >= 0 else {
                    throw connection.uncertain("the answer from \(connection.host) has an invalid Content-Length (\(lengthText))")
                }
                if length > TransportResponse.maxBodyBytes {
                    throw ExchangeFailure(transportFailure: .tooLarge(connection.host))
                }
                body = Array(try bytes(length))
            } else {
                // No length: the body runs to the end of the connection.
                while try fill() {}
                body = Array(buffer[start...])
                start = buffer.count
                keepAlive = false
            }
            // Bytes past the answer mean the server and this client disagree about framing.
            if start != buffer.count { keepAlive = false }
            return (TransportResponse(status: status, headers: headers, body: body), keepAlive)
        }
    }

    mutating func chunked() throws(ExchangeFailure) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try line()
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces() } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else {
                throw connection.uncertain("the answer from \(connection.host) has a malformed chunk size (\(sizeLine.prefix(20).debugDescription))")
            }
            if size == 0 {
                while try !line().isEmpty {}  // trailers
                return body
            }
            if size > TransportResponse.maxBodyBytes - body.count {  // (no overflow for a size near Int.max)
                throw ExchangeFailure(transportFailure: .tooLarge(connection.host))
            }
            body += try bytes(size)
            guard try line().isEmpty else {
                throw connection.uncertain("the answer from \(connection.host) has a chunk longer than its size")
            }
        }
    }
}
