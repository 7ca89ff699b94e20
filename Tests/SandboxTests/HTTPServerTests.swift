import Foundation
@testable import HTTPServer
import Testing
import TestSupport
import Values

@testable import Sandbox

/// Sends raw bytes to 127.0.0.1:port and reads until the server closes or `timeout` passes (a
/// bound against a hang, generous so that a loaded test machine is not mistaken for one).
func exchangeSync(_ port: UInt16, _ payload: [UInt8], timeout: Double = 15, closeAfterSend: Bool = false) -> String {
    guard let fd = try? connected(port, timeout: timeout) else { return "<connect failed>" }
    defer { close(fd) }
    var sent = 0
    while sent < payload.count {
        let n = payload.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        sent += n
    }
    if closeAfterSend { shutdown(fd, Int32(SHUT_WR)) }
    return readAll(fd)
}

func exchange(_ port: UInt16, _ payload: [UInt8], timeout: Double = 15, closeAfterSend: Bool = false) async -> String {
    (try? await offload { exchangeSync(port, payload, timeout: timeout, closeAfterSend: closeAfterSend) }) ?? ""
}

@Suite struct HTTPServerTests {
    func echoServer() throws -> (HTTPServer, UInt16) {
        let server = HTTPServer { request in
            .text(200, "\(request.method) \(request.path) q=\(request.query.map { "\($0.name)=\($0.value)" }.joined(separator: ",")) body=\(request.body.count)")
        }
        return (server, try server.start())
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        let (server, port) = try echoServer()
        defer { server.stop() }
        let two = "GET /a?x=1&y=%20z HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
        let reply = await exchange(port, Array(two.utf8))
        #expect(reply.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(reply.contains("GET /a q=x=1,y= z body=0"))
        #expect(reply.contains("POST /b q= body=3"))
        #expect(reply.contains("Connection: keep-alive") && reply.contains("Connection: close"))
    }

    /// The bind address is a parameter: the receiver will listen beyond loopback; a name that
    /// is not an address literal is refused rather than resolved.
    @Test func listensWhereItIsTold() throws {
        let server = HTTPServer { _ in .text(200, "ok") }
        defer { server.stop() }
        let port = try server.start(host: "0.0.0.0")
        #expect(port > 0)
        #expect(exchangeSync(port, Array("GET / HTTP/1.1\r\nConnection: close\r\n\r\n".utf8)).contains("200 OK"))
        #expect(throws: HTTPServer.StartError.self) { try HTTPServer { _ in .text(200, "") }.start(host: "localhost.example") }
        if FileManager.default.fileExists(atPath: "/proc/net/if_inet6") {  // the machine has IPv6
            let v6 = HTTPServer { _ in .text(200, "ok") }
            defer { v6.stop() }
            #expect(throws: Never.self) { try v6.start(host: "::1") }
        }
    }

    /// Servers started and stopped at once never touch another server's connections (a stopped
    /// server's accept loop once took over a reused descriptor and dropped what it accepted).
    @Test func aStoppedServerNeverTakesAnotherServersConnections() async throws {
        for i in 0..<60 {
            let brief = HTTPServer { _ in .text(500, "wrong server") }
            _ = try brief.start()
            brief.stop()
            // This server likely gets the descriptor number the brief one just gave up.
            let (server, port) = try echoServer()
            let reply = await exchange(port, Array("GET /n\(i) HTTP/1.1\r\nConnection: close\r\n\r\n".utf8))
            server.stop()
            #expect(reply.contains("GET /n\(i) q="), "round \(i): \(reply.prefix(60).debugDescription)")
        }
    }

    @Test func manyConcurrentConnections() async throws {
        let (server, port) = try echoServer()
        defer { server.stop() }
        let replies = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask { await exchange(port, Array("GET /n\(i) HTTP/1.1\r\nConnection: close\r\n\r\n".utf8)).contains("GET /n\(i) ") }
            }
            var ok = 0
            for await reply in group where reply { ok += 1 }
            return ok
        }
        #expect(replies == 64)
    }

    /// Garbage gets a 4xx/5xx answer or a closed connection, never a crash or a hang; the server
    /// keeps serving afterwards.
    @Test func malformedRequestsNeitherCrashNorHang() async throws {
        let (server, port) = try echoServer()
        defer { server.stop() }
        var generator = SystemRandomNumberGenerator()
        var inputs: [[UInt8]] = [
            Array("GARBAGE\r\n\r\n".utf8), Array("GET\r\n\r\n".utf8), Array("GET / HTTP/9.9\r\n\r\n".utf8),
            Array("get / HTTP/1.1\r\n\r\n".utf8), Array("GET / HTTP/1.1\r\nBad Header\r\n\r\n".utf8),
            Array("POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n".utf8), Array("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n".utf8),
            Array("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".utf8),
            Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8),
            Array("GET / HTTP/1.1\r\nX: ".utf8) + [UInt8](repeating: 65, count: 70_000) + Array("\r\n\r\n".utf8),
            [0, 0, 0, 0xFF, 0xFE, 13, 10, 13, 10], Array("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort".utf8),
        ]
        for _ in 0..<40 {
            inputs.append((0..<Int.random(in: 1...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) } + [13, 10, 13, 10])
        }
        for input in inputs {
            let reply = await exchange(port, input, timeout: 3, closeAfterSend: true)
            #expect(reply.isEmpty || reply.hasPrefix("HTTP/1.1 4") || reply.hasPrefix("HTTP/1.1 5") || reply.hasPrefix("HTTP/1.1 200"), "\(reply.prefix(40))")
        }
        #expect(await exchange(port, Array("GET /still-alive HTTP/1.1\r\nConnection: close\r\n\r\n".utf8)).contains("GET /still-alive"))
    }

    /// A server answering "served" to everything, with `configure`'s limits.
    func limitedServer(_ configure: (inout HTTPServer.Limits) -> Void) throws -> (HTTPServer, UInt16) {
        var limits = HTTPServer.Limits()
        configure(&limits)
        let server = HTTPServer(limits: limits) { _ in .text(200, "served") }
        return (server, try server.start())
    }

    /// A client that trickles its request (a byte every 100 ms, never idle long enough for the
    /// idle timeout) gets 408 once the request's time is up, instead of holding its thread.
    @Test func aTrickledRequestIsCutOffAtItsDeadline() async throws {
        let (server, port) = try limitedServer { $0.requestSeconds = 1 }
        defer { server.stop() }
        let (reply, bytesSent) = try await offload { () -> (String, Int) in
            let fd = try connected(port)
            defer { close(fd) }
            var sent = 0
            for byte in Array("GET / HTTP/1.1\r\nX-Slow: ".utf8) + [UInt8](repeating: 65, count: 100) {
                // Stop at the first answer: the server spoke before the request was whole.
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, 100) > 0 { break }
                var one = byte
                guard send(fd, &one, 1, Int32(MSG_NOSIGNAL)) == 1 else { break }
                sent += 1
            }
            return (readAll(fd), sent)
        }
        #expect(reply.hasPrefix("HTTP/1.1 408"), "\(reply.prefix(60))")
        #expect(reply.contains("took longer than 1 s"))
        // Cut near the deadline (about 10 bytes at one per 100 ms), not after the 126 bytes the
        // client would have trickled over 13 s.
        #expect(bytesSent < 80, "\(bytesSent) bytes were taken before the answer")
        #expect(await exchange(port, Array("GET / HTTP/1.1\r\nConnection: close\r\n\r\n".utf8)).contains("served"))
    }

    /// Past the connection limit a new connection is told 503 and closed; the ones held go on.
    @Test func connectionsPastTheLimitAreRefused() async throws {
        let (server, port) = try limitedServer { $0.connections = 2 }
        defer { server.stop() }
        let held = try [connected(port), connected(port)]
        defer { close(held[1]) }
        // Both are taken (answered) before the third arrives.
        for fd in held { #expect(roundTrip(fd).contains("served")) }
        let refused = await exchange(port, Array("GET / HTTP/1.1\r\n\r\n".utf8), timeout: 5)
        #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused.prefix(60))")
        close(held[0])
        // A freed place is taken again (once the server has seen the close: on a loaded machine
        // that can take a while, so up to 20 s).
        var answered = ""
        let deadline = Date().addingTimeInterval(20)
        while !answered.contains("served") && Date() < deadline {
            answered = await exchange(port, Array("GET / HTTP/1.1\r\nConnection: close\r\n\r\n".utf8), timeout: 5)
            if !answered.contains("served") { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        #expect(answered.contains("served"))
    }
}

struct ConnectError: Error {}

/// A blocking connection to 127.0.0.1:port whose reads give up after `timeout` seconds.
func connected(_ port: UInt16, timeout: Double = 15) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    func attempt() -> Int32 {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
    var result = attempt()
    // Interrupted by a signal (SIGCHLD from other tests' processes), the connection goes on in
    // the background: wait for it, and ask again.
    for _ in 0..<500 where result != 0 && (errno == EINTR || errno == EALREADY || errno == EINPROGRESS) {
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&poller, 1, 20)
        result = attempt()
        if result != 0 && errno == EISCONN { result = 0 }
    }
    guard result == 0 else {
        close(fd)
        throw ConnectError()
    }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

/// What the peer sends until it closes, the read times out, or `done` holds for what came.
func readAll(_ fd: Int32, until done: ((String) -> Bool)? = nil) -> String {
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while !(done?(String(decoding: received, as: UTF8.self)) ?? false) {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        // Other tests' child processes exiting send this process SIGCHLD: an interrupted
        // read is read again, not taken for the end of the answer.
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        received += chunk[0..<n]
    }
    return String(decoding: received, as: UTF8.self)
}

/// One keep-alive request and its answer (read until the body, "served", has come).
func roundTrip(_ fd: Int32) -> String {
    let request = Array("GET / HTTP/1.1\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    return readAll(fd) { $0.hasSuffix("served") }
}
