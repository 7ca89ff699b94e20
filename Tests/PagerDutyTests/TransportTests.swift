import Foundation
import Testing
import TestSupport

@testable import PagerDuty
@testable import Sandbox

/// The two transports: pdstep's own HTTP/1.1 client (plain http) and libcurl (https, proxies).
enum TransportKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case socket, curl
    var description: String { rawValue }
    func make(caBundle: String? = nil) -> any HTTPTransport {
        switch self {
        case .socket: SocketTransport()
        case .curl: CurlTransport(caBundle: caBundle)
        }
    }
}

func post(_ url: URL, _ body: String = #"{"a":1}"#) -> TransportRequest {
    TransportRequest(method: "POST", url: url, headers: ["Content-Type": "application/json"], body: Array(body.utf8))
}

func text(_ response: TransportResponse) -> String { String(decoding: response.body, as: UTF8.self) }

/// What each transport makes of answers framed every legal way, and of broken ones. The socket
/// transport is pdstep's own HTTP client; libcurl, given the same bytes, is the oracle.
@Suite(.enabled(if: pythonHas("json")))
struct TransportTests {
    @Test(arguments: TransportKind.allCases)
    func framings(_ kind: TransportKind) async throws {
        let answers = [
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"status\":1}\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Multi: a\r\nx-multi: b\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            "HTTP/1.1 204 No Content\r\n\r\n",
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nConnection: close\r\n\r\nbusy, read to the end",
        ]
        let server = try await ScriptedServer([answers.map { ["answer": $0] }])
        let transport = kind.make()
        var got: [String] = []
        for _ in answers {
            let response = try await transport.send(post(server.url()), timeout: 5)
            got.append("\(response.status) \(text(response)) \(response.headers["x-multi"] ?? "") \(response.headers["retry-after"] ?? "")")
        }
        #expect(got == [
            "202 {\"status\":1}\n  ",
            "200 hello world a, b ",
            "201 ok  ",
            "204   ",
            "503 busy, read to the end  7",
        ])
        // All five went over one kept-alive connection, each with its body.
        #expect(server.requests.count == 5)
        #expect(server.requests.allSatisfy { $0.hasPrefix("1 POST /v2/enqueue HTTP/1.1 {\"a\":1}") })
    }

    @Test(arguments: TransportKind.allCases)
    func methodsAndQueries(_ kind: TransportKind) async throws {
        let ok = ["answer": "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]
        let server = try await ScriptedServer([[ok, ok, ok]])
        let transport = kind.make()
        _ = try await transport.send(TransportRequest(method: "GET", url: server.url("/incidents?statuses%5B%5D=triggered&limit=2"), headers: [:], body: nil), timeout: 5)
        _ = try await transport.send(TransportRequest(method: "PUT", url: server.url("/incidents/P1"), headers: [:], body: Array("{}".utf8)), timeout: 5)
        _ = try await transport.send(TransportRequest(method: "DELETE", url: server.url("/users/U1"), headers: [:], body: nil), timeout: 5)
        #expect(server.requests == [
            "1 GET /incidents?statuses%5B%5D=triggered&limit=2 HTTP/1.1 ",
            "1 PUT /incidents/P1 HTTP/1.1 {}",
            "1 DELETE /users/U1 HTTP/1.1 ",
        ])
    }

    /// A kept connection the server closes just as the next request goes out: nothing came back,
    /// so the request is sent once more on a new connection.
    @Test(arguments: TransportKind.allCases)
    func aStaleKeptConnectionIsReplaced(_ kind: TransportKind) async throws {
        let ok = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}"
        let server = try await ScriptedServer([[["answer": ok], ["close": true]], [["answer": ok]]])
        let transport = kind.make()
        _ = try await transport.send(post(server.url(), "first"), timeout: 5)
        let second = try await transport.send(post(server.url(), "second"), timeout: 5)
        #expect(second.status == 202)
        let connectionAndBody: [String] = server.requests.map { line in
            let fields = line.split(separator: " ")
            return "\(fields.first ?? "") \(fields.last ?? "")"
        }
        #expect(connectionAndBody == ["1 first", "1 second", "2 second"])
    }

    /// A request that is not safe to repeat never rides a kept connection: if the server read it
    /// and closed without answering, a transport would otherwise send it again unseen (a note
    /// recorded twice). It goes over a new connection, and the kept one is left alone.
    @Test(arguments: TransportKind.allCases)
    func aWriteThatIsNotIdempotentNeverRidesAKeptConnection(_ kind: TransportKind) async throws {
        let ok = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}"
        let server = try await ScriptedServer([[["answer": ok], ["close": true]], [["answer": ok]]])
        let transport = kind.make()
        _ = try await transport.send(post(server.url(), "first"), timeout: 5)
        var note = post(server.url(), "note")
        note.idempotent = false
        let answer = try await transport.send(note, timeout: 5)
        #expect(answer.status == 202)
        let connectionAndBody: [String] = server.requests.map { line in
            let fields = line.split(separator: " ")
            return "\(fields.first ?? "") \(fields.last ?? "")"
        }
        #expect(connectionAndBody == ["1 first", "2 note"], "the note was sent \(connectionAndBody.filter { $0.hasSuffix("note") }.count) times")
    }

    /// A server that sends headers without end is cut off at the header bound (or the deadline)
    /// instead of growing pdstep's memory.
    @Test(arguments: TransportKind.allCases)
    func endlessHeadersAreCutOff(_ kind: TransportKind) async throws {
        let server = try await ScriptedServer([[["flood": true]]])
        do {
            let response = try await kind.make().send(post(server.url()), timeout: 30)
            Issue.record("\(kind) accepted an endless header block as \(response.status)")
        } catch {
            #expect(error.kind == .uncertain, "\(error.message)")
            // Cut off by the size bound, long before the 30 s deadline.
            if kind == .socket { #expect(error.message.contains("more than 300 KB of headers"), "\(error.message)") }
        }
    }

    /// On a fresh connection the same silence is not retried here: the request may have taken
    /// effect, and the client's retry rules decide (see RetryRuleTests).
    @Test(arguments: TransportKind.allCases)
    func aFreshConnectionClosedWithoutAnAnswerIsUncertain(_ kind: TransportKind) async throws {
        let server = try await ScriptedServer([[["close": true]]])
        await #expect {
            _ = try await kind.make().send(post(server.url()), timeout: 5)
        } throws: { error in
            (error as? TransportFailure)?.kind == .uncertain
        }
        #expect(server.requests.count == 1)
    }

    @Test(arguments: TransportKind.allCases)
    func brokenAnswersAreUncertainFailures(_ kind: TransportKind) async throws {
        let broken = [
            "SMTP ready\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\ntoo short",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n{}",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n7fffffffffffffff\r\nx\r\n",
        ]
        for answer in broken {
            let server = try await ScriptedServer([[["answer": answer]]])
            do {
                let response = try await kind.make().send(post(server.url()), timeout: 5)
                Issue.record("\(kind) accepted \(answer.debugDescription) as \(response.status)")
            } catch {
                #expect(error.kind == .uncertain, "\(answer.debugDescription)")
                #expect(error.message.contains("127.0.0.1"), "\(error.message)")
            }
        }
    }

    @Test(arguments: TransportKind.allCases)
    func aSlowAnswerEndsAtTheDeadline(_ kind: TransportKind) async throws {
        let server = try await ScriptedServer([[["hang": 10]]])
        let started = Date()
        do {
            _ = try await kind.make().send(post(server.url()), timeout: 0.5)
            Issue.record("no timeout")
        } catch {
            #expect(error.kind == .uncertain)
            #expect(error.message.contains("pagerduty.timeout"), "\(error.message)")
        }
        // Well before the server's 10 s hang ends (a loaded machine may take a few seconds).
        #expect(Date().timeIntervalSince(started) < 8)
    }

    @Test(arguments: TransportKind.allCases)
    func aRefusedConnectionWasSurelyNotSent(_ kind: TransportKind) async throws {
        // A port bound by this test and not listening: nothing answers, and no other test's
        // server can take it meanwhile.
        let refusing = RefusingPort()
        let url = URL(string: "http://127.0.0.1:\(refusing.port)/v2/enqueue")!
        defer { withExtendedLifetime(refusing) {} }
        do {
            _ = try await kind.make().send(post(url), timeout: 5)
            Issue.record("sent to a closed port")
        } catch {
            #expect(error.kind == .notSent)
            #expect(error.message.hasPrefix("cannot connect to 127.0.0.1"), "\(error.message)")
        }
    }

    @Test(arguments: TransportKind.allCases)
    func ipv6Loopback(_ kind: TransportKind) async throws {
        let server = try await ScriptedServer([[["answer": "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}"]]], ipv6: true)
        let response = try await kind.make().send(post(server.url(host: "[::1]")), timeout: 5)
        #expect(response.status == 202 && text(response) == "{}")
        #expect(server.requests.count == 1)
    }

    /// A line break in a header would let the rest of the value pass as headers of its own.
    @Test(arguments: TransportKind.allCases)
    func headersWithLineBreaksAreNotSent(_ kind: TransportKind) async throws {
        let server = try await ScriptedServer([[["answer": "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"]]])
        var request = post(server.url())
        request.headers["From"] = "ops@example.com\r\nX-Injected: yes"
        do {
            _ = try await kind.make().send(request, timeout: 5)
            Issue.record("sent a header with a line break")
        } catch {
            #expect(error.kind == .notSent)
            #expect(error.message.contains("the From header holds a line break"), "\(error.message)")
        }
        #expect(server.requests.isEmpty)
    }

    @Test func aMissingHostWasSurelyNotSent() async throws {
        do {
            _ = try await SocketTransport().send(post(URL(string: "http://no-such-host.invalid/x")!), timeout: 5)
            Issue.record("sent to a host that does not exist")
        } catch {
            #expect(error.kind == .notSent)
            #expect(error.message.hasPrefix("cannot connect to no-such-host.invalid"), "\(error.message)")
        }
    }

    @Test func cancellingTheTaskStopsTheRequest() async throws {
        for kind in TransportKind.allCases {
            let server = try await ScriptedServer([[["hang": 10]]])
            let transport = kind.make()
            let task = Task { try await transport.send(post(server.url()), timeout: 30) }
            try await Task.sleep(nanoseconds: 300_000_000)
            let started = Date()
            task.cancel()
            let result = await task.result
            // Well before the server's 10 s hang ends (a loaded machine may take a few seconds).
            #expect(Date().timeIntervalSince(started) < 8, "\(kind)")
            #expect(throws: TransportFailure.self, "\(kind)") { try result.get() }
        }
    }

    /// Plain http goes through libcurl, and so through the proxy, when `http_proxy` is set.
    @Test func plainHTTPUsesTheProxyWhenOneIsSet() async throws {
        let proxy = try await ScriptedServer([[["answer": "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"]]])
        let transport = StandardTransport(environment: ["http_proxy": "http://127.0.0.1:\(proxy.port)"])
        let response = try await transport.send(post(URL(string: "http://events.example.invalid/v2/enqueue")!), timeout: 5)
        #expect(response.status == 202)
        // A proxy gets the whole URL in the request line.
        #expect(proxy.requests.first?.hasPrefix("1 POST http://events.example.invalid/v2/enqueue HTTP/1.1") == true, "\(proxy.requests)")
    }

    /// The sandbox on this machine is reached directly, whatever proxy is set.
    @Test func thisMachineIsNeverReachedThroughAProxy() async throws {
        let server = try await ScriptedServer([[["answer": "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"]]])
        let transport = StandardTransport(environment: ["http_proxy": "http://127.0.0.1:9", "all_proxy": "http://127.0.0.1:9"])
        let response = try await transport.send(post(server.url()), timeout: 5)
        #expect(response.status == 202)
        #expect(server.requests.first?.hasPrefix("1 POST /v2/enqueue HTTP/1.1") == true)
    }

    @Test func theSandboxAnswersBothTransportsAlike() async throws {
        let sandbox = Sandbox()
        let url = try sandbox.start()
        defer { sandbox.stop() }
        var answers: [String] = []
        for kind in TransportKind.allCases {
            let response = try await kind.make().send(
                TransportRequest(method: "GET", url: URL(string: url + "/services?limit=1")!, headers: ["Authorization": "Token token=\(Sandbox.demo.apiKey)"], body: nil), timeout: 5)
            answers.append("\(response.status) \(response.headers["content-type"] ?? "") \(text(response))")
        }
        #expect(answers.count == 2 && answers[0] == answers[1])
        #expect(answers[0].hasPrefix("200 application/json"))
    }
}

/// https goes through pdstep's own client over libssl (libcurl where libssl 3 is missing, or
/// through a proxy); either checks the certificate against the trusted CAs and the host name.
@Suite(.enabled(if: tlsServerAvailable))
struct TLSTests {
    /// Over TLS, pdstep's own client reads every framing as over plain http, on one kept
    /// connection.
    @Test(.enabled(if: TLS.available)) func httpsKeepsOneConnectionForEveryFraming() async throws {
        let pair = try await selfSignedCertificate()
        let answers = [
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"status\":1}\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            "HTTP/1.1 204 No Content\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n" + String(repeating: "x", count: 70000),
        ]
        let server = try await ScriptedServer([answers.map { ["answer": $0] }], tls: pair)
        let transport = SocketTransport(caBundle: pair.certificate)
        var got: [String] = []
        for _ in answers {
            let response = try await transport.send(post(server.url(scheme: "https", host: "localhost")), timeout: 5)
            got.append("\(response.status) \(response.body.count)")
        }
        #expect(got == ["202 13", "200 11", "201 2", "204 0", "200 70000"])
        #expect(server.requests.count == 5 && server.requests.allSatisfy { $0.hasPrefix("1 POST /v2/enqueue HTTP/1.1 {\"a\":1}") }, "\(server.requests)")
    }

    /// A certificate the CA vouches for, but for another name, is refused before anything is
    /// sent, whether the URL names the host or its address.
    @Test(.enabled(if: TLS.available)) func aCertificateForAnotherNameIsRefused() async throws {
        let pair = try await selfSignedCertificate(for: "example.invalid")
        let ok: [String: Any] = ["answer": "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"]
        let server = try await ScriptedServer([[ok], [ok]], tls: pair)
        for host in ["localhost", "127.0.0.1"] {
            do {
                _ = try await SocketTransport(caBundle: pair.certificate).send(post(server.url(scheme: "https", host: host)), timeout: 5)
                Issue.record("a certificate for example.invalid was accepted for \(host)")
            } catch {
                #expect(error.kind == .notSent)
                #expect(error.message.hasPrefix("cannot connect securely to \(host): the certificate is not trusted") && error.message.contains("mismatch"), "\(error.message)")
            }
        }
        #expect(!server.requests.contains { $0.contains("POST") })
    }

    /// A server that closes the connection while a large request is being written: an
    /// uncertain failure naming the host (the request may have been read).
    @Test(.enabled(if: TLS.available)) func aServerClosingMidRequestIsAnUncertainFailure() async throws {
        let pair = try await selfSignedCertificate()
        let server = try await ScriptedServer([[]], tls: pair)
        let large = String(repeating: "x", count: 8 << 20)
        do {
            _ = try await SocketTransport(caBundle: pair.certificate).send(post(server.url(scheme: "https", host: "localhost"), large), timeout: 10)
            Issue.record("a request to a closed connection succeeded")
        } catch {
            #expect(error.kind == .uncertain && error.message.contains("localhost"), "\(error.message)")
        }
    }

    /// A server that does not speak TLS at an https URL: refused, nothing sent.
    @Test(.enabled(if: TLS.available)) func aPlainServerAtAnHTTPSURLIsRefused() async throws {
        // It waits for the end of a request that never comes: the handshake's deadline ends it.
        let server = try await ScriptedServer([[["answer": "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]]])
        do {
            _ = try await SocketTransport().send(post(server.url(scheme: "https")), timeout: 1)
            Issue.record("a plain http answer was taken for TLS")
        } catch {
            #expect(error.kind == .notSent && error.message.hasPrefix("cannot connect securely to 127.0.0.1: no TLS handshake within 1 s"), "\(error.message)")
        }
    }

    /// A TLS server that reads the request and never answers: the deadline holds over TLS too,
    /// and the request may have been read (uncertain).
    @Test(.enabled(if: TLS.available)) func aSilentTLSServerTimesOut() async throws {
        let pair = try await selfSignedCertificate()
        let server = try await ScriptedServer([[["hang": 10]]], tls: pair)
        let started = Date()
        do {
            _ = try await SocketTransport(caBundle: pair.certificate).send(post(server.url(scheme: "https", host: "localhost")), timeout: 1)
            Issue.record("no answer was taken for one")
        } catch {
            #expect(error.kind == .uncertain && error.message.contains("no answer from localhost within 1 s"), "\(error.message)")
        }
        // Well before the server's 10 s hang ends.
        #expect(Date().timeIntervalSince(started) < 8)
    }

    /// A CA file that cannot be read: nothing is sent, and the message names the file.
    @Test(.enabled(if: TLS.available)) func anUnreadableCAFileIsNamed() async throws {
        let pair = try await selfSignedCertificate()
        let server = try await ScriptedServer([[["answer": "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"]]], tls: pair)
        do {
            _ = try await SocketTransport(caBundle: "/nonexistent/ca.pem").send(post(server.url(scheme: "https", host: "localhost")), timeout: 5)
            Issue.record("sent without a CA file")
        } catch {
            #expect(error.kind == .notSent && error.message.contains("/nonexistent/ca.pem"), "\(error.message)")
        }
    }

    @Test func httpsWithATrustedCertificate() async throws {
        let pair = try await selfSignedCertificate()
        let ok = ["answer": "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"status\":\"success\"}"]
        let server = try await ScriptedServer([[ok], [ok]], tls: pair)
        // A proxy that does not exist: this machine is reached directly all the same.
        let transport = StandardTransport(caBundle: pair.certificate, environment: ["https_proxy": "http://127.0.0.1:9"])
        for host in ["127.0.0.1", "localhost"] {
            let response = try await transport.send(post(server.url(scheme: "https", host: host)), timeout: 10)
            #expect(response.status == 202 && text(response) == "{\"status\":\"success\"}", "\(host)")
        }
        #expect(server.requests.count == 2)
    }

    @Test func anUntrustedCertificateIsRefusedBeforeAnythingIsSent() async throws {
        let pair = try await selfSignedCertificate()
        let server = try await ScriptedServer([[["answer": "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"]]], tls: pair)
        do {
            _ = try await StandardTransport().send(post(server.url(scheme: "https")), timeout: 10)
            Issue.record("an untrusted certificate was accepted")
        } catch {
            #expect(error.kind == .notSent)
            #expect(error.message.hasPrefix("cannot connect securely to 127.0.0.1"), "\(error.message)")
        }
        #expect(!server.requests.contains { $0.contains("POST") })
    }
}
