#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Runner
import StepKit
import Synchronization
import Values

/// The HTTP side of `pdstep serve`: the webhook path (signature checked, event kept in the spool,
/// answered, handed to the dispatcher), the executions (`/executions`, HTML or JSON), `/healthz`
/// and `/metrics`.
struct WebhookReceiver: Sendable {
    static let path = "/webhooks/pagerduty"
    /// PagerDuty's payloads are small; a bigger body is refused before it is read further.
    static let maxBody = 1 << 20
    /// Executions `GET /executions` lists at most.
    static let listLimit = 200

    let secrets: SecretList
    let spool: WebhookSpool
    let executions: ServeExecutions
    let metrics: ServeMetrics
    /// Set once pdstep is stopping: webhooks are then answered 503 (PagerDuty delivers them again).
    let stopping: StopFlag
    let log: @Sendable (String) -> Void
    let take: @Sendable (String) -> Void

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch (request.method, request.path) {
        case ("GET", "/healthz"):
            return stopping.isSet ? .text(503, "stopping\n") : .text(200, "ok\n")
        case ("GET", "/metrics"):
            return .text(200, metrics.text(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case ("POST", Self.path):
            metrics.received()
            return webhook(request)
        case (_, Self.path):
            return HTTPResponse(status: 405, headers: [("Allow", "POST")])
        case ("GET", "/"), ("GET", "/executions"), ("GET", "/executions/"):
            return executionList(request)
        case ("GET", let path) where path.hasPrefix("/executions/"):
            return execution(String(path.dropFirst("/executions/".count)), request)
        case ("GET", let path) where path.hasPrefix("/project/") && path.contains("/execution/show/"):
            // `${job.url}` has Rundeck's shape: /project/P/execution/show/ID.
            let id = path.components(separatedBy: "/execution/show/").last ?? ""
            return HTTPResponse(status: 302, headers: [("Location", "/executions/" + (ServeExecutions.isID(id) ? id : ""))])
        default:
            return .text(404, "not found\n")
        }
    }

    func refuse(_ reason: ServeMetrics.Refusal, _ status: Int, _ answer: String, _ message: String) -> HTTPResponse {
        metrics.refused(reason)
        log("webhook refused: " + message)
        return .text(status, answer + "\n")
    }

    func webhook(_ request: HTTPRequest) -> HTTPResponse {
        guard !stopping.isSet else {
            return refuse(.stopping, 503, "stopping; deliver again later", "pdstep is stopping (PagerDuty delivers it again)")
        }
        guard request.body.count <= Self.maxBody else {
            return refuse(.tooLarge, 413, "too large", "a body of \(request.body.count) bytes (at most \(Self.maxBody))")
        }
        guard let header = request.header("X-PagerDuty-Signature") else {
            return refuse(.missingSignature, 400, "missing X-PagerDuty-Signature", "no X-PagerDuty-Signature header")
        }
        // `v1=<hex>`, possibly several (comma-separated) while PagerDuty rotates the secret.
        let signatures = header.split(separator: ",").compactMap { part -> [UInt8]? in
            let trimmed = part.trimmingSpaces()
            guard trimmed.hasPrefix("v1="), trimmed.count == 67 else { return nil }
            return Text.bytes(hex: trimmed.dropFirst(3))
        }
        guard !signatures.isEmpty else {
            return refuse(.malformedSignature, 400, "malformed X-PagerDuty-Signature", "a malformed X-PagerDuty-Signature header")
        }
        let expected = secrets.all.map { SHA256.hmac(key: $0, message: request.body) }
        guard signatures.contains(where: { given in expected.contains { SHA256.constantTimeEqual($0, given) } }) else {
            return refuse(.invalidSignature, 403, "invalid signature", "no valid signature (is pagerduty.webhook.secret_path the subscription's secret?)")
        }
        guard let event = try? JSONParser.parse(bytes: request.body), let id = event["event"]?["id"]?.stringValue, !id.isEmpty,
            event["event"]?["event_type"]?.stringValue != nil
        else {
            return refuse(.notAWebhook, 400, "not a PagerDuty v3 webhook payload", "not a v3 webhook payload ({\"event\": {\"id\", \"event_type\", ...}})")
        }
        do {
            guard try spool.accept(id: id, body: request.body) else {
                metrics.duplicate()
                log("event \(id): seen before (a redelivery); not run again")
                return .text(202, "accepted (seen before)\n")
            }
        } catch {
            // Not kept: answered so that PagerDuty delivers it again.
            return refuse(.spoolUnavailable, 503, "cannot keep the event now", "event \(id) could not be kept in the spool (\(error)); PagerDuty will deliver it again")
        }
        metrics.accepted()
        take(WebhookSpool.name(id))
        return .text(202, "accepted\n")
    }

    // MARK: Executions

    /// Browsers get HTML; everything else JSON (or what `?format=` asks for).
    static func wantsHTML(_ request: HTTPRequest) -> Bool {
        if let format = request.query.first(where: { $0.name == "format" })?.value { return format == "html" }
        return (request.header("Accept") ?? "").contains("text/html")
    }

    func executionList(_ request: HTTPRequest) -> HTTPResponse {
        let records = executions.newest(Self.listLimit)
        if Self.wantsHTML(request) { return .text(200, ServeExecutionsPage.list(records), contentType: "text/html; charset=utf-8") }
        return .text(200, JSONWriter.write(["executions": .array(records)], options: .pretty) + "\n", contentType: "application/json")
    }

    /// `/executions/ID` (the record, with the log), `/executions/ID/log` (text),
    /// `/executions/ID/log.jsonl` (JSON lines).
    func execution(_ rest: String, _ request: HTTPRequest) -> HTTPResponse {
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let id = parts.first, let record = executions.record(id), let first = record["id"]?.stringValue else {
            return .text(404, "no execution \(rest.prefix(40))\n")
        }
        let log = { (kind: String) in executions.logPath(first, kind).flatMap { FileManager.default.contents(atPath: $0) }.map(Array.init) ?? [] }
        switch parts.dropFirst().first {
        case nil:
            let text = String(decoding: log("log"), as: UTF8.self)
            if Self.wantsHTML(request) { return .text(200, ServeExecutionsPage.show(record, log: text), contentType: "text/html; charset=utf-8") }
            guard case .object(var full) = record else { return .text(500, "unreadable record\n") }
            full["log"] = .string(text)
            return .text(200, JSONWriter.write(.object(full), options: .pretty) + "\n", contentType: "application/json")
        case "log"?:
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: log("log"))
        case "log.jsonl"?:
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/x-ndjson")], body: log("jsonl"))
        default:
            return .text(404, "not found\n")
        }
    }
}

/// The HTML of the executions pages.
enum ServeExecutionsPage {
    static let style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
        td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}pre{background:#f6f6f6;padding:1em;overflow:auto}
        .succeeded{color:#17803d}.failed,.aborted,.timedout{color:#b3261e}.running{color:#8a5a00}.muted{color:#777}
        """

    static func document(_ title: String, _ body: String, refresh: Bool) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>\(HTML.escape(title)) · pdstep serve</title>
        \(refresh ? "<meta http-equiv=\"refresh\" content=\"2\">" : "")<style>\(style)</style></head><body>
        <p class="muted"><a href="/executions">pdstep serve</a>: the jobs PagerDuty's webhooks started.</p>
        \(body)
        </body></html>

        """
    }

    static func list(_ records: [Value]) -> String {
        let e = HTML.escape
        var body = "<h1>Executions</h1>"
        if records.isEmpty { return document("Executions", body + "<p>None yet. They appear here when a webhook runs a job.</p>", refresh: true) }
        body += "<table><tr><th>Execution</th><th>Job</th><th>State</th><th>Event</th><th>Incident</th><th>Started</th><th>Took</th></tr>"
        for record in records {
            let text = { (key: String) in e(record[key]?.stringValue ?? "") }
            let took = record["duration_ms"]?.intValue.map { "\($0) ms" } ?? ""
            body += "<tr><td><a href=\"/executions/\(text("id"))\">\(text("id"))</a></td><td>\(text("job"))</td>"
            body += "<td class=\"\(text("state"))\">\(text("state"))</td><td>\(text("event_type"))</td>"
            body += "<td>\(text("incident")) \(text("incident_title"))</td><td><small>\(text("started_at"))</small></td><td>\(took)</td></tr>"
        }
        let running = records.contains { $0["state"]?.stringValue == "running" }
        return document("Executions", body + "</table>", refresh: running)
    }

    static func show(_ record: Value, log: String) -> String {
        let e = HTML.escape
        let id = record["id"]?.stringValue ?? ""
        var body = "<h1>Execution \(e(id)): \(e(record["job"]?.stringValue ?? ""))</h1><table>"
        for key in ["state", "exit_code", "route", "event", "event_type", "incident", "incident_title", "started_at", "ended_at", "duration_ms", "aborted_by"] {
            guard let value = record[key], value != .null else { continue }
            let text = value.stringValue ?? value.intValue.map(String.init) ?? ""
            body += "<tr><th>\(e(key))</th><td class=\"\(key == "state" ? e(text) : "")\">\(e(text))</td></tr>"
        }
        body += "</table><h2>Log</h2><pre>\(e(log))</pre>"
        body += "<p class=\"muted\"><a href=\"/executions/\(e(id))/log\">text</a> · <a href=\"/executions/\(e(id))/log.jsonl\">JSON lines</a></p>"
        return document("Execution \(id)", body, refresh: record["state"]?.stringValue == "running")
    }
}

/// Set once, when pdstep starts stopping.
final class StopFlag: Sendable {
    private let flag = Atomic(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
