import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPServer
import Testing
import TestSupport
import Values

/// `pdstep serve`: a signed PagerDuty v3 webhook runs the routed job with options from the
/// event; anything unsigned runs nothing; an event is run once, and run after a restart if it
/// was accepted but not finished.
struct ServeTests {
    static let secret = "whsec-test-123"

    /// A folder with a diagnostics job, a routes file and the webhook secret in key storage.
    static func folder() async throws -> String {
        let directory = makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/jobs", withIntermediateDirectories: true)
        try """
            - name: Diagnose
              group: ops
              options:
              - {name: incident, required: true}
              - {name: title}
              sequence:
                commands:
                - exec: echo "incident=${option.incident} title=${option.title}" >> diagnosed.txt
            """.write(toFile: directory + "/jobs/diagnose.yaml", atomically: true, encoding: .utf8)
        try """
            - name: diagnose checkout
              when:
                event_type: [incident.triggered]
                service: Checkout API
                title: '(?i)disk'
              job: jobs/diagnose.yaml
              options:
                incident: ${event.data.id}
                title: ${event.data.title}
            """.write(toFile: directory + "/routes.yaml", atomically: true, encoding: .utf8)
        let put = try await runBinary(["keys", "put", "keys/pd/webhook", "--password-stdin"], stdin: secret, directory: directory)
        #expect(put.code == 0)
        return directory
    }

    static func event(_ id: String, type: String = "incident.triggered", title: String = "Disk full on web1; touch pwned", service: String = "Checkout API") -> [UInt8] {
        let event: Value = ["event": [
            "id": .string(id), "event_type": .string(type), "resource_type": "incident", "occurred_at": "2026-11-29T13:00:00Z",
            "agent": ["summary": "Checkout API"],
            "data": ["id": "PINC00001", "type": "incident", "number": 1, "title": .string(title), "urgency": "high",
                     "service": ["id": "PSVC001", "summary": .string(service)]],
        ]]
        return Array(JSONWriter.write(event).utf8)
    }

    static func post(_ url: String, _ body: [UInt8], signature: String?) async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let signature { request.setValue(signature, forHTTPHeaderField: "X-PagerDuty-Signature") }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    static func sign(_ body: [UInt8], _ secret: String = secret) -> String {
        "v1=" + Text.hex(bytes: SHA256.hmac(key: Array(secret.utf8), message: body))
    }

    /// Lines of the job's output file, once there are `count` (waits up to 15 s).
    static func diagnosed(_ directory: String, count: Int) async -> [String] {
        for _ in 0..<150 {
            let lines = ((try? String(contentsOfFile: directory + "/diagnosed.txt", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if lines.count >= count { return lines }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return ((try? String(contentsOfFile: directory + "/diagnosed.txt", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static func start(_ directory: String) async throws -> (FirstHourTests.Running, String) {
        let serve = try FirstHourTests.Running(["serve", "--routes", "routes.yaml"], directory: directory)
        let line = try await serve.lines(until: "webhook_url").first ?? ""
        return (serve, try JSONParser.parse(line)["webhook_url"]?.stringValue ?? "")
    }

    @Test func aSignedEventRunsTheRoutedJobOnce() async throws {
        let directory = try await Self.folder()
        let (serve, url) = try await Self.start(directory)
        let body = Self.event("01EVT")
        #expect(try await Self.post(url, body, signature: Self.sign(body)) == 202)
        // Unsigned, wrongly signed, other types and other services run nothing.
        #expect(try await Self.post(url, body, signature: nil) == 400)
        #expect(try await Self.post(url, body, signature: "v1=" + String(repeating: "0", count: 64)) == 403)
        #expect(try await Self.post(url, body, signature: "sha256=abc") == 400)
        let resolved = Self.event("02EVT", type: "incident.resolved")
        #expect(try await Self.post(url, resolved, signature: Self.sign(resolved)) == 202)
        let elsewhere = Self.event("03EVT", service: "Payments")
        #expect(try await Self.post(url, elsewhere, signature: Self.sign(elsewhere)) == 202)
        // A redelivery of the first is accepted and not run again; a rotated secret's
        // signature beside the right one is fine.
        #expect(try await Self.post(url, body, signature: "v1=" + String(repeating: "1", count: 64) + "," + Self.sign(body)) == 202)
        let lines = await Self.diagnosed(directory, count: 1)
        try? await Task.sleep(nanoseconds: 500_000_000)
        #expect(lines == ["incident=PINC00001 title=Disk full on web1; touch pwned"], "\(lines)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/pwned"), "an event's value ran as code")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: directory + "/spool/done")) ?? []).sorted() == ["01EVT.json", "02EVT.json", "03EVT.json"])
        _ = await serve.interrupt()
    }

    /// Accepted (answered 2xx) but not run when pdstep stopped: run at the next start.
    @Test func anAcceptedEventRunsAfterARestart() async throws {
        let directory = try await Self.folder()
        try FileManager.default.createDirectory(atPath: directory + "/spool/events", withIntermediateDirectories: true)
        try Data(Self.event("04EVT")).write(to: URL(fileURLWithPath: directory + "/spool/events/04EVT.json"))
        let (serve, _) = try await Self.start(directory)
        let lines = await Self.diagnosed(directory, count: 1)
        #expect(lines.count == 1 && lines[0].hasPrefix("incident=PINC00001"), "\(lines)")
        _ = await serve.interrupt()
    }

    /// The routes file is checked like a job file: fields with "did you mean", the job's options.
    @Test func aWrongRoutesFileIsRefused() async throws {
        let directory = try await Self.folder()
        for (text, message) in [
            ("- name: r\n  job: jobs/diagnose.yaml\n  wehn: {urgency: high}\n", "'wehn' is not a route field; did you mean 'when'?"),
            ("- name: r\n  job: jobs/diagnose.yaml\n  when: {urgancy: high}\n", "'urgancy' is not a condition; did you mean 'urgency'?"),
            ("- name: r\n  job: jobs/diagnose.yaml\n  options: {incidnet: x}\n", "job ops/Diagnose declares no option 'incidnet'; did you mean 'incident'?"),
            ("- name: r\n  job: jobs/nothing.yaml\n", "no such file"),
        ] {
            try text.write(toFile: directory + "/bad.yaml", atomically: true, encoding: .utf8)
            let outcome = try await runBinary(["serve", "--routes", "bad.yaml"], directory: directory)
            #expect(outcome.code == 2 && outcome.stderr.contains(message), "\(outcome.stderr)")
        }
    }

    /// The loop of examples/webhooks: an incident is triggered, its webhook arrives, the
    /// diagnostics job runs and its note appears on the incident (PagerDuty is the sandbox).
    @Test func theExampleLoopPostsItsNote() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/webhooks").path
        #expect(try await runBinary(["keys", "put", "keys/pd/webhook", "--password-stdin"], stdin: Self.secret, directory: f.directory).code == 0)
        let checked = try await runBinary(["validate", "--routes", examples + "/routes.yaml"], directory: f.directory)
        #expect(checked.code == 0, "\(checked.stdout)\(checked.stderr)")
        let page = try await runBinary(["send-event", "--summary", "checkout 5xx", "--severity", "critical"], directory: f.directory)
        #expect(page.code == 0, "\(page.stderr)")
        let incident = f.state["incidents"]?[0]?["id"]?.stringValue ?? ""
        let serve = try FirstHourTests.Running(["serve", "--routes", examples + "/routes.yaml"], directory: f.directory)
        let url = try JSONParser.parse(try await serve.lines(until: "webhook_url").first ?? "")["webhook_url"]?.stringValue ?? ""
        let body: [UInt8] = Array(JSONWriter.write(["event": [
            "id": "01LOOP", "event_type": "incident.triggered", "resource_type": "incident",
            "data": ["id": .string(incident), "type": "incident", "title": "checkout 5xx", "urgency": "high", "service": ["id": "PSVC001", "summary": "Checkout API"]],
        ]]).utf8)
        #expect(try await Self.post(url, body, signature: Self.sign(body)) == 202)
        // Up to 40 s: the note comes after a webhook delivery and a job of several steps, which a
        // machine busy with the whole parallel suite once took longer than 15 s to finish.
        var notes: [Value] = []
        for _ in 0..<400 where notes.isEmpty {
            try? await Task.sleep(nanoseconds: 100_000_000)
            notes = f.state["incidents"]?[0]?["notes"]?.arrayValue ?? []
        }
        #expect(notes.first?["content"]?.stringValue?.hasPrefix("Diagnostics for \"checkout 5xx\": host ") == true, "\(notes)")
        _ = await serve.interrupt()
    }
}

/// The README's loop, one command with no account: `serve --sandbox --trigger` subscribes to an
/// embedded sandbox, triggers an incident, takes the webhook, runs the job, and the note appears
/// on the incident's page.
@Suite struct ServeLoopTests {
    @Test func theLoopOnTheSandbox() async throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/webhooks").path
        let serve = try FirstHourTests.Running(["serve", "--routes", examples + "/routes.yaml", "--sandbox", "--trigger", "checkout returns 5xx"], directory: makeTemporaryDirectory())
        let info = try JSONParser.parse(try await serve.lines(until: "webhook_url").first ?? "")
        let page = info["incident_url"]?.stringValue ?? ""
        #expect(page.hasSuffix("/incidents/PINC00001"), "\(info)")
        var html = ""
        for _ in 0..<400 where !html.contains("Note: Diagnostics for") {  // up to 40 s on a busy machine
            try? await Task.sleep(nanoseconds: 100_000_000)
            var request = URLRequest(url: URL(string: page)!)
            request.setValue("text/html", forHTTPHeaderField: "Accept")
            html = String(decoding: (try? await URLSession.shared.data(for: request))?.0 ?? Data(), as: UTF8.self)
        }
        #expect(html.contains("Note: Diagnostics for &quot;checkout returns 5xx&quot;: host "), "\(html.suffix(1500))")
        // The note links to the execution (`${job.url}`), which serve shows.
        let serveURL = info["url"]?.stringValue ?? "?"
        let link = html.components(separatedBy: "Log: ").dropFirst().first?.prefix { !$0.isWhitespace && $0 != "<" } ?? ""
        #expect(link.hasPrefix(serveURL + "/project/pdstep/execution/show/"), "\(html.suffix(1500))")
        if let url = URL(string: String(link)) {
            let shown = try JSONParser.parse(String(decoding: try await URLSession.shared.data(from: url).0, as: UTF8.self))
            #expect(shown["job"] == "ops/Diagnose" && shown["state"] == "succeeded", "\(shown)")
        }
        _ = await serve.interrupt()
    }
}

/// Against PagerDuty (here the sandbox): `webhooks subscribe` keeps the secret where serve reads
/// it, the subscription delivers to serve, and the requests validate against the OpenAPI files.
@Suite struct WebhooksCommandTests {
    @Test func subscribeThenServe() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/webhooks").path
        // serve needs the secret before it starts: subscribe first, to a port serve will take
        // (free a moment ago), as a user chooses the address first.
        let listen = "127.0.0.1:\(RefusingPort().port)"
        let subscribed = try await runBinary(["webhooks", "subscribe", "--url", "http://\(listen)/webhooks/pagerduty", "--events", "incident.triggered"], directory: f.directory)
        #expect(subscribed.code == 0 && subscribed.stdout.contains("its secret is in key storage at keys/pd/webhook"), "\(subscribed.stdout)\(subscribed.stderr)")
        #expect(!subscribed.stdout.contains("sandbox-whsec"), "the secret was printed")
        let listed = try await runBinary(["webhooks", "list"], directory: f.directory)
        #expect(listed.stdout.contains("http://\(listen)/webhooks/pagerduty  account_reference  incident.triggered"), "\(listed.stdout)")
        let serve = try FirstHourTests.Running(["serve", "--routes", examples + "/routes.yaml", "--listen", listen], directory: f.directory)
        _ = try await serve.lines(until: "webhook_url")
        #expect(try await runBinary(["send-event", "--summary", "checkout 5xx", "--severity", "critical"], directory: f.directory).code == 0)
        // Up to 40 s: the note comes after a webhook delivery and a job of several steps, which a
        // machine busy with the whole parallel suite once took longer than 15 s to finish.
        var notes: [Value] = []
        for _ in 0..<400 where notes.isEmpty {
            try? await Task.sleep(nanoseconds: 100_000_000)
            notes = f.state["incidents"]?[0]?["notes"]?.arrayValue ?? []
        }
        _ = await serve.interrupt()
        let log = String(decoding: serve.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(notes.first?["content"]?.stringValue?.contains("Diagnostics for \"checkout 5xx\"") == true, "\(notes)\n\(log)")
        // The webhook requests, and the sandbox's answers, against PagerDuty's OpenAPI files.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spec = root.deletingLastPathComponent().appendingPathComponent("shared/reference/pagerduty-openapi").path
        guard FileManager.default.fileExists(atPath: spec + "/REST/openapiv3.json"), pythonHas("jsonschema") else { return }
        let requests = f.sandbox.handle(HTTPRequest(method: "GET", target: "/_sandbox/requests", path: "/_sandbox/requests", query: [], headers: [], body: []))
        let file = f.directory + "/requests.json"
        try JSONWriter.write(try JSONParser.parse(bytes: requests.body)["requests"] ?? .array([])).write(toFile: file, atomically: true, encoding: .utf8)
        for script in ["validate-requests.py", "validate-responses.py"] {
            let (status, output) = try await runTool(["python3", root.appendingPathComponent("Tests/Conformance/" + script).path, file, spec])
            #expect(status == 0, "\(script): \(String(decoding: output, as: UTF8.self))")
        }
    }
}
