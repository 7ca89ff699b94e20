import Foundation
@testable import HTTPServer
import Testing
import TestSupport
import Values

@testable import Sandbox

/// A sandbox for one test, and a small HTTP helper over raw sockets.
struct SandboxFixture {
    let sandbox = Sandbox()
    let port: UInt16

    init() throws {
        let url = try sandbox.start()
        port = UInt16(url.split(separator: ":").last.map(String.init) ?? "0") ?? 0
    }

    /// Sends one request; answers status, headers and JSON body.
    func call(_ method: String, _ path: String, body: Value? = nil, headers: [String: String] = [:], key: String? = Sandbox.demo.apiKey) async -> (status: Int, headers: String, json: Value) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let key { head += "Authorization: Token token=\(key)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let payload = body.map { Array(JSONWriter.write($0).utf8) } ?? []
        head += "Content-Length: \(payload.count)\r\n\r\n"
        let reply = await exchange(port, Array(head.utf8) + payload)
        let parts = reply.components(separatedBy: "\r\n\r\n")
        let status = Int(parts.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        let json = (try? JSONParser.parse(parts.dropFirst().joined(separator: "\r\n\r\n"))) ?? .null
        return (status, parts.first ?? "", json)
    }

    func event(_ action: String, key: String? = nil, summary: String = "disk full", routingKey: String = Sandbox.demo.routingKey) async -> (status: Int, headers: String, json: Value) {
        var body = ValueObject([("routing_key", .string(routingKey)), ("event_action", .string(action))])
        if let key { body["dedup_key"] = .string(key) }
        if action == "trigger" { body["payload"] = ["summary": .string(summary), "source": "web1", "severity": "critical"] }
        return await call("POST", "/v2/enqueue", body: .object(body), key: nil)
    }

    var state: Value { sandbox.stateSnapshot() }
}

@Suite struct SandboxEventsTests {
    @Test func dedupRulesFollowPagerDuty() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        #expect(await s.event("trigger", key: "k1").status == 202)
        #expect(await s.event("trigger", key: "k1").json["dedup_key"] == "k1")
        var incidents = s.state["incidents"]?.arrayValue ?? []
        #expect(incidents.count == 1)
        #expect(incidents[0]["alerts"]?.arrayValue?.count == 1)
        #expect(incidents[0]["alerts"]?[0]?["event_count"] == 2)
        _ = await s.event("acknowledge", key: "k1")
        #expect(s.state["incidents"]?[0]?["status"] == "acknowledged")
        _ = await s.event("resolve", key: "k1")
        #expect(s.state["incidents"]?[0]?["status"] == "resolved")
        // After the alert is resolved, the same key opens a new incident.
        _ = await s.event("trigger", key: "k1")
        incidents = s.state["incidents"]?.arrayValue ?? []
        #expect(incidents.count == 2 && incidents[1]["status"] == "triggered")
        // Acknowledge with no open alert is accepted and changes nothing.
        #expect(await s.event("acknowledge", key: "nothing-open").status == 202)
        #expect(s.state["incidents"]?.arrayValue?.count == 2)
    }

    @Test func invalidEventsGetPagerDutysErrorShape() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        let short = await s.event("trigger", routingKey: "short")
        #expect(short.status == 400 && short.json["status"] == "invalid event")
        #expect(short.json["errors"] == ["Length of 'routing_key' is incorrect (should be 32 characters)"])
        let noSource = await s.call("POST", "/v2/enqueue", body: ["routing_key": .string(Sandbox.demo.routingKey), "event_action": "trigger", "payload": ["summary": "x", "severity": "bad"]], key: nil)
        #expect(noSource.json["errors"]?.arrayValue?.count == 2)
        let change = await s.call("POST", "/v2/change/enqueue", body: ["routing_key": .string(Sandbox.demo.routingKey), "payload": ["summary": "deployed v2"]], key: nil)
        #expect(change.status == 202)
        #expect(s.state["change_events"]?[0]?["summary"] == "deployed v2")
    }

    @Test func eventsAreRateLimitedPerRoutingKey() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        _ = await s.call("POST", "/_sandbox/limits", body: ["events": 3, "window_seconds": 60], key: nil)
        var statuses: [Int] = []
        for i in 0..<5 { statuses.append(await s.event("trigger", key: "r\(i)").status) }
        #expect(statuses == [202, 202, 202, 429, 429])
        #expect(await s.event("trigger", key: "other", routingKey: Sandbox.demo.secondRoutingKey).status == 202)
    }
}

/// The sandbox's admin paths take numbers from outside like any input, and its request log is
/// bounded and never keeps a secret.
@Suite struct SandboxBoundsTests {
    @Test func adminNumbersAreChecked() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        for body: Value in [["window_seconds": "1e30"], ["window_seconds": "inf"], ["window_seconds": 0], ["events": -1], ["rest": "nan"]] {
            #expect(await s.call("POST", "/_sandbox/limits", body: body, key: nil).status == 400, "\(body)")
        }
        for body: Value in [["path": "/v2/enqueue", "delay_ms": 999_999_999], ["path": "/v2/enqueue", "count": 0], ["path": "/v2/enqueue", "status": 99]] {
            #expect(await s.call("POST", "/_sandbox/faults", body: body, key: nil).status == 400, "\(body)")
        }
        // A page offset near Int.max is refused as PagerDuty refuses it, not an overflow.
        #expect(await s.call("GET", "/users?offset=9223372036854775807&limit=10").status == 400)
        // The sandbox still answers events (a window of 1e30 once made the next one trap).
        #expect(await s.event("trigger", key: "after").status == 202)
    }

    @Test func theRequestLogIsBoundedAndMasked() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        let big = String(repeating: "x", count: 700_000)
        for _ in 0..<6 {
            _ = await s.call("POST", "/v2/change/enqueue", body: ["routing_key": .string(Sandbox.demo.routingKey), "payload": ["summary": .string(big)]], key: nil)
        }
        _ = await s.call("POST", "/users", body: ["user": ["name": "n", "email": "n@example.com", "password": "hunter2-secret"], "nested": [["api_token": "tok-secret-1"]]])
        let log = s.sandbox.shared.withLock { $0.log }
        let text = JSONWriter.write(.array(log))
        #expect(!text.contains(big) && text.contains("body_omitted"))
        #expect(!text.contains("hunter2-secret") && !text.contains("tok-secret-1") && !text.contains(Sandbox.demo.routingKey))
        // Many bodies just under the per-body bound: the log drops its oldest entries at the byte bound.
        let limit = 2 << 20
        s.sandbox.shared.withLock { $0.logByteLimit = limit }
        let large = String(repeating: "y", count: 250_000)
        for _ in 0..<(limit / 250_000 + 4) {
            _ = await s.call("POST", "/v2/change/enqueue", body: ["routing_key": .string(Sandbox.demo.routingKey), "payload": ["summary": .string(large)]], key: nil)
        }
        let (bytes, sizes) = s.sandbox.shared.withLock { ($0.logBytes, $0.logSizes) }
        #expect(bytes <= limit && bytes == sizes.reduce(0, +) && bytes > limit / 2)
    }
}

@Suite struct SandboxRESTTests {
    @Test func authenticationAndRateLimitHeaders() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        let bad = await s.call("GET", "/abilities", key: "wrong")
        #expect(bad.status == 401 && bad.json["error"]?["code"] == 2006)
        let good = await s.call("GET", "/abilities")
        #expect(good.status == 200 && good.json["abilities"]?.arrayValue?.contains("teams") == true)
        #expect(good.headers.contains("ratelimit-limit: 960") && good.headers.contains("ratelimit-remaining:"))
    }

    @Test func writesThatNeedFromAreRefusedWithoutIt() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        _ = await s.event("trigger", key: "k")
        let id = s.state["incidents"]?[0]?["id"]?.stringValue ?? ""
        let note: Value = ["note": ["content": "checked the logs"]]
        let missing = await s.call("POST", "/incidents/\(id)/notes", body: note)
        #expect(missing.status == 400)
        #expect(missing.json["error"]?["errors"]?[0]?.stringValue?.contains("\"From\" header") == true)
        let unknown = await s.call("POST", "/incidents/\(id)/notes", body: note, headers: ["From": "nobody@example.com"])
        #expect(unknown.status == 400)
        let ok = await s.call("POST", "/incidents/\(id)/notes", body: note, headers: ["From": "bob@example.com"])
        #expect(ok.status == 200 && ok.json["note"]?["user"]?["id"] == "PUSR002")
        // A user key identifies the user: no From needed.
        #expect(await s.call("POST", "/incidents/\(id)/notes", body: note, key: Sandbox.demo.userAPIKey).status == 200)
        #expect(s.state["incidents"]?[0]?["notes"]?.arrayValue?.count == 2)
    }

    @Test func statusCodesOfTheOfficialAPI() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        _ = await s.event("trigger", key: "k")
        let from = ["From": Sandbox.demo.fromEmail]
        let id = s.state["incidents"]?[0]?["id"]?.stringValue ?? ""
        #expect(await s.call("GET", "/incidents/1").json["incident"]?["id"]?.stringValue == id)
        #expect(await s.call("POST", "/response_plays/P1/run", body: ["incident": ["id": .string(id), "type": "incident_reference"]], headers: from).status == 404)
        #expect(await s.call("POST", "/incident_workflows/PWF0001/instances", body: ["incident_workflow_instance": ["incident": ["id": .string(id), "type": "incident_reference"]]]).status == 201)
        let many = Value.array((0..<251).map { _ in ["id": .string(id), "type": "incident_reference", "status": "resolved"] })
        #expect(await s.call("PUT", "/incidents", body: ["incidents": many], headers: from).status == 413)
        // A user with an open incident cannot be deleted; a free one can.
        let busy = await s.call("DELETE", "/users/PUSR001")
        #expect(busy.status == 400 && busy.json["error"]?["errors"]?[0]?.stringValue?.contains("open incident") == true)
        #expect(await s.call("DELETE", "/users/PUSR004").status == 204)
        #expect(await s.call("GET", "/users/PUSR004").status == 404)
        #expect(await s.call("GET", "/users/me").status == 400)
        #expect(await s.call("GET", "/users/me", key: Sandbox.demo.userAPIKey).json["user"]?["email"] == "alice@example.com")
    }

    @Test func escalationAndAssignment() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        _ = await s.event("trigger", key: "k")
        let id = s.state["incidents"]?[0]?["id"]?.stringValue ?? ""
        let from = ["From": Sandbox.demo.fromEmail]
        let escalate = await s.call("PUT", "/incidents/\(id)", body: ["incident": ["type": "incident_reference", "escalation_level": 2]], headers: from)
        #expect(escalate.status == 200)
        #expect(s.state["incidents"]?[0]?["escalation_level"] == 2)
        let beyond = await s.call("PUT", "/incidents/\(id)", body: ["incident": ["type": "incident_reference", "escalation_level": 9]], headers: from)
        #expect(beyond.status == 400 && beyond.json["error"]?["code"] == 1006)
        let resolved = await s.call("PUT", "/incidents/\(id)", body: ["incident": ["type": "incident_reference", "status": "resolved", "resolution": "fixed"]], headers: from)
        #expect(resolved.json["incident"]?["status"] == "resolved")
        let again = await s.call("PUT", "/incidents/\(id)", body: ["incident": ["type": "incident_reference", "status": "resolved"]], headers: from)
        #expect(again.json["error"]?["code"] == 1001)
    }

    @Test func paginationAndTheTenThousandCeiling() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        let first = await s.call("GET", "/users?limit=3&offset=0")
        #expect(first.json["users"]?.arrayValue?.count == 3 && first.json["more"] == true, "\(first.status) \(first.headers)")
        let second = await s.call("GET", "/users?limit=3&offset=3&total=true")
        #expect(second.json["users"]?.arrayValue?.count == 1 && second.json["more"] == false && second.json["total"] == 4)
        let ceiling = await s.call("GET", "/users?limit=100&offset=9950")
        #expect(ceiling.status == 400 && ceiling.json["error"]?["code"] == 2002)
    }

    @Test func faultsAndRequestLog() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        _ = await s.call("POST", "/_sandbox/faults", body: ["path": "/abilities", "count": 2, "status": 503, "body": "<html>busy</html>"], key: nil)
        #expect(await s.call("GET", "/abilities").status == 503)
        #expect(await s.call("GET", "/abilities").status == 503)
        #expect(await s.call("GET", "/abilities").status == 200)
        let log = await s.call("GET", "/_sandbox/requests", key: nil).json["requests"]?.arrayValue ?? []
        #expect(log.compactMap { $0["status"]?.intValue }.suffix(3) == [503, 503, 200])
        #expect(!JSONWriter.write(.array(log)).contains(Sandbox.demo.apiKey))
    }

    @Test func theHTMLPageShowsIncidents() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        _ = await s.event("trigger", key: "k", summary: "<script>alert(1)</script> disk full")
        let reply = await exchange(s.port, Array("GET / HTTP/1.1\r\nConnection: close\r\n\r\n".utf8))
        #expect(reply.contains("text/html"))
        #expect(reply.contains("&lt;script&gt;alert(1)&lt;/script&gt; disk full"))
        #expect(!reply.contains("<script>alert"))
    }

    @Test func oauthClientCredentials() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        let form = "grant_type=client_credentials&client_id=\(Sandbox.demo.oauthClientID)&client_secret=\(Sandbox.demo.oauthClientSecret)&scope=incidents.read"
        let reply = await exchange(s.port, Array("POST /oauth/token HTTP/1.1\r\nConnection: close\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)".utf8))
        let json = (try? JSONParser.parse(reply.components(separatedBy: "\r\n\r\n").last ?? "")) ?? .null
        let token = json["access_token"]?.stringValue ?? ""
        #expect(!token.isEmpty && json["expires_in"] == 3600)
        #expect(await s.call("GET", "/abilities", headers: ["Authorization": "Bearer \(token)"], key: nil).status == 200)
    }
}
