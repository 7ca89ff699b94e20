import Foundation
@testable import HTTPServer
import Synchronization
import Testing
import TestSupport
import Values

@testable import Sandbox

/// The pages a person opens: the incident list and an incident's page (what a browser gets at
/// the `html_url` a step returns), every value escaped, links only to http(s).
@Suite struct SandboxPageTests {
    /// An incident with a hostile summary, custom details, links (one a javascript: URL) and an
    /// image, a note and a status update.
    static func incident(_ s: SandboxFixture) async -> String {
        let body: Value = [
            "routing_key": .string(Sandbox.demo.routingKey), "event_action": "trigger", "dedup_key": "page-1",
            "payload": [
                "summary": "<script>alert(1)</script> disk full", "source": "web1 & co", "severity": "critical", "component": "db",
                "custom_details": ["free": "2%", "<b>": "x"],
            ],
            "links": [["href": "https://runbook.example.com/disk", "text": "runbook"], ["href": "javascript:alert(2)", "text": "bad"]],
            "images": [["src": "https://example.com/graph.png", "alt": "graph"]],
        ]
        _ = await s.call("POST", "/v2/enqueue", body: body, key: nil)
        let id = s.state["incidents"]?[0]?["id"]?.stringValue ?? ""
        _ = await s.call("POST", "/incidents/\(id)/notes", body: ["note": ["content": "rolled back <i>now</i>"]], headers: ["From": Sandbox.demo.fromEmail])
        _ = await s.call("POST", "/incidents/\(id)/status_updates", body: ["message": "fixed"], headers: ["From": Sandbox.demo.fromEmail])
        return id
    }

    func html(_ s: SandboxFixture, _ path: String) async -> (Int, String) {
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html,application/xhtml+xml\r\nConnection: close\r\n\r\n"
        head += ""
        let reply = await exchange(s.port, Array(head.utf8))
        let parts = reply.components(separatedBy: "\r\n\r\n")
        return (Int(parts.first?.split(separator: " ").dropFirst().first ?? "") ?? 0, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func theIncidentPageShowsWhatTheJobDidEscaped() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        let id = await Self.incident(s)
        let (listStatus, list) = await html(s, "/")
        #expect(listStatus == 200 && list.contains("<a href=\"/incidents/\(id)\">&lt;script&gt;alert(1)&lt;/script&gt; disk full</a>"), "\(list)")
        #expect(!list.contains("<script>alert(1)"))
        #expect(list.contains("Alice Admin") || list.contains("Bob Responder"), "assignees by name")
        let (status, page) = await html(s, "/incidents/\(id)")
        #expect(status == 200, "\(page)")
        for part in [
            "<h1>#1 &lt;script&gt;alert(1)&lt;/script&gt; disk full</h1>", "web1 &amp; co", "<dt>Component</dt><dd>db</dd>",
            "<td>&lt;b&gt;</td><td>x</td>", "<a href=\"https://runbook.example.com/disk\" rel=\"noreferrer\">runbook</a>",
            "bad <code>javascript:alert(2)</code>", "<img src=\"https://example.com/graph.png\" alt=\"graph\">",
            "Note: rolled back &lt;i&gt;now&lt;/i&gt;", "Status update: fixed", "Checkout escalation, level 1", "/_sandbox/version",
        ] {
            #expect(page.contains(part), "missing \(part)")
        }
        #expect(!page.contains("<a href=\"javascript:") && !page.contains("<script>alert"))
        // An API client (with a key) still gets the JSON at the same address.
        let api = await s.call("GET", "/incidents/\(id)")
        #expect(api.status == 200 && api.json["incident"]?["id"] == .string(id))
        // An incident that does not exist is a page saying so.
        #expect(await html(s, "/incidents/PNOPE").0 == 404)
    }

    /// The reload endpoint changes when something changes, and only then.
    @Test func theVersionMovesWithChanges() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        let before = await s.call("GET", "/_sandbox/version", key: nil).json["version"]?.intValue ?? -1
        _ = await s.call("GET", "/incidents")
        #expect(await s.call("GET", "/_sandbox/version", key: nil).json["version"]?.intValue == before)
        _ = await s.event("trigger", key: "v1")
        #expect(await s.call("GET", "/_sandbox/version", key: nil).json["version"]?.intValue == before + 1)
    }

    /// In a real browser (headless Chromium, when installed): the incident page renders, with
    /// the escaped title as text.
    @Test(.enabled(if: onPath("chromium") || onPath("chromium-browser"))) func rendersInHeadlessChromium() async throws {
        let s = try SandboxFixture()
        defer { s.sandbox.stop() }
        let id = await Self.incident(s)
        let browser = onPath("chromium") ? "chromium" : "chromium-browser"
        let (status, output) = try await runTool([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "http://127.0.0.1:\(s.port)/incidents/\(id)"])
        let dom = String(decoding: output, as: UTF8.self)
        #expect(status == 0 && dom.contains("&lt;script&gt;alert(1)&lt;/script&gt; disk full") && dom.contains("Timeline"), "\(dom.prefix(2000))")
        // And it draws: a screenshot of the page is a real image of some size.
        let shot = makeTemporaryDirectory() + "/incident.png"
        _ = try await runTool([browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,900", "--screenshot=\(shot)", "http://127.0.0.1:\(s.port)/incidents/\(id)"])
        let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 10_000, "screenshot of \(size) bytes")
    }

    /// Every incident change a subscription asks for arrives as a signed v3 webhook, with the
    /// incident as the REST API shows it.
    @Test func incidentChangesArriveAsSignedWebhooks() async throws {
        let s = try SandboxFixture()
        let received = Mutex<[HTTPRequest]>([])
        let receiver = HTTPServer { request in
            received.withLock { $0.append(request) }
            return HTTPResponse(status: 202)
        }
        let port = try receiver.start()
        defer { receiver.stop() }
        let created = await s.call("POST", "/webhook_subscriptions", body: ["webhook_subscription": [
            "type": "webhook_subscription", "delivery_method": ["type": "http_delivery_method", "url": .string("http://127.0.0.1:\(port)/hook")],
        ]])
        let secret = created.json["webhook_subscription"]?["delivery_method"]?["secret"]?.stringValue ?? ""
        #expect(created.status == 200 && !secret.isEmpty)
        let from = ["From": Sandbox.demo.fromEmail]
        let id = await Self.incident(s)
        let policy = s.state["incidents"]?[0]?["escalation_policy"]?["id"]?.stringValue ?? ""
        let user = s.state["users"]?[0]?["id"]?.stringValue ?? ""
        _ = await s.call("PUT", "/incidents/\(id)", body: ["incident": ["type": "incident", "status": "acknowledged"]], headers: from)
        let escalated = await s.call("PUT", "/incidents/\(id)", body: ["incident": ["type": "incident", "escalation_level": 2]], headers: from)
        _ = await s.call("PUT", "/incidents/\(id)", body: ["incident": ["type": "incident", "assignments": [["assignee": ["id": .string(user), "type": "user_reference"]]]]], headers: from)
        let responders = await s.call("POST", "/incidents/\(id)/responder_requests", body: [
            "requester_id": .string(user), "message": "help",
            "responder_request_targets": [["responder_request_target": ["id": .string(policy), "type": "escalation_policy_reference"]]],
        ], headers: from)
        _ = await s.call("PUT", "/incidents/\(id)", body: ["incident": ["type": "incident", "status": "resolved"]], headers: from)
        #expect(escalated.status == 200 && responders.status == 200, "\(escalated.json) \(responders.json)")
        let expected = ["incident.triggered", "incident.annotated", "incident.status_update_published", "incident.acknowledged", "incident.escalated",
                        "incident.reassigned", "incident.responder.added", "incident.resolved"]
        for _ in 0..<400 where received.withLock({ $0.count }) < expected.count { try? await Task.sleep(nanoseconds: 50_000_000) }
        let requests = received.withLock { $0 }
        let events = requests.compactMap { try? JSONParser.parse(bytes: $0.body)["event"] }
        #expect(Set(events.compactMap { $0["event_type"]?.stringValue }) == Set(expected), "\(events.map { $0["event_type"] ?? .null })")
        for (request, event) in zip(requests, events) {
            let signature = "v1=" + Text.hex(bytes: SHA256.hmac(key: Array(secret.utf8), message: request.body))
            #expect(request.header("X-PagerDuty-Signature") == signature)
            #expect(event["data"]?["id"]?.stringValue == id && event["resource_type"] == "incident" && event["data"]?["type"] == "incident")
        }
    }
}
