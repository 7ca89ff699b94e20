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
import Values

/// The pages a person opens to see what a job did: `/` lists the incidents, `/incidents/<id>`
/// shows one (a browser gets HTML; an API client, which sends a key, the JSON as before). Plain
/// HTML and CSS written here, every value escaped; a small script reloads the page when the
/// sandbox changes (polling `/_sandbox/version`), and the pages work with scripts off.
extension Sandbox {
    /// Whether a request is a person's browser rather than an API client: it sends no key and
    /// accepts HTML.
    static func wantsPage(_ request: HTTPRequest) -> Bool {
        request.method == "GET" && request.header("Authorization") == nil && (request.header("Accept") ?? "").contains("text/html")
    }

    static let style = """
        body{font:14px system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
        a{color:#0a5bbf}table{border-collapse:collapse;width:100%;margin:.5em 0 1em}
        td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f6f6}
        .triggered{color:#b00;font-weight:600}.acknowledged{color:#b60;font-weight:600}.resolved{color:#080;font-weight:600}
        .high{color:#b00}.low{color:#666}small,.muted{color:#666}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em}
        dt{color:#666}code{background:#f3f3f3;padding:0 3px}img{max-width:20em;max-height:12em}
        """

    /// The page skeleton: the title, the reload script, the body.
    func pageDocument(title: String, body: String) -> String {
        let escape = Self.htmlEscaped
        let version = shared.withLock { $0.version }
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>\(escape(title)) · pdstep sandbox</title>
            <style>\(Self.style)</style></head><body>
            <p class="muted"><a href="/">pdstep sandbox</a>: an emulated PagerDuty account on this machine. Nothing here reaches PagerDuty.</p>
            \(body)
            <script>
            (function(){var seen=\(version);setInterval(function(){fetch('/_sandbox/version').then(function(r){return r.json()})
            .then(function(v){if(v.version!==seen){location.reload()}}).catch(function(){})},2000)})();
            </script>
            </body></html>

            """
    }

    /// `/`: the incidents, newest first, and the change events.
    func incidentList() -> String {
        let escape = Self.htmlEscaped
        let state = shared.withLock { $0.state }
        var body = "<h1>Incidents (\(state.incidents.count))</h1>"
        if state.incidents.isEmpty {
            body += "<p>No incidents yet. Trigger one with <code>pdstep send-event --sandbox</code> or a job.</p>"
        } else {
            body += "<table><tr><th>#</th><th>Title</th><th>Status</th><th>Urgency</th><th>Service</th><th>Assigned to</th><th>Alerts</th><th>Created</th></tr>"
            for incident in state.incidents.reversed() {
                let service = state.services.first { $0.id == incident.serviceID }?.name ?? incident.serviceID
                body += "<tr><td>\(incident.number)</td><td><a href=\"/incidents/\(escape(incident.id))\">\(escape(incident.title))</a></td>"
                body += "<td class=\"\(escape(incident.status))\">\(escape(incident.status))</td><td class=\"\(escape(incident.urgency))\">\(escape(incident.urgency))</td>"
                body += "<td>\(escape(service))</td><td>\(escape(names(incident.assigneeIDs, state)))</td><td>\(incident.alertIDs.count)</td><td><small>\(escape(incident.createdAt))</small></td></tr>"
            }
            body += "</table>"
        }
        body += "<h2>Change events (\(state.changeEvents.count))</h2>" + changeEventTable(state.changeEvents)
        return pageDocument(title: "Incidents", body: body)
    }

    /// `/incidents/<id>`: everything about one incident, as a person checks what a job did.
    func incidentPage(_ index: Int) -> String {
        let escape = Self.htmlEscaped
        let state = shared.withLock { $0.state }
        let incident = state.incidents[index]
        let service = state.services.first { $0.id == incident.serviceID }
        let policy = state.policies.first { $0.id == incident.escalationPolicyID }
        var body = "<h1>#\(incident.number) \(escape(incident.title))</h1>"
        body += "<dl><dt>Status</dt><dd class=\"\(escape(incident.status))\">\(escape(incident.status))\(incident.resolution.map { " (" + escape($0) + ")" } ?? "")</dd>"
        body += "<dt>Urgency</dt><dd class=\"\(escape(incident.urgency))\">\(escape(incident.urgency))</dd><dt>Priority</dt><dd>none</dd>"
        body += "<dt>Service</dt><dd>\(escape(service?.name ?? incident.serviceID))</dd>"
        body += "<dt>Escalation policy</dt><dd>\(escape(policy?.name ?? incident.escalationPolicyID)), level \(incident.escalationLevel)</dd>"
        body += "<dt>Assigned to</dt><dd>\(escape(names(incident.assigneeIDs, state)))</dd>"
        let responders = incident.responderRequests.flatMap { request -> [String] in
            (request["responder_request_targets"]?.arrayValue ?? []).flatMap { target -> [String] in
                let inner = target["responder_request_target"] ?? target
                return (inner["incidents_responders"]?.arrayValue ?? []).map { responder in
                    "\(responder["user"]?["summary"]?.text ?? inner["summary"]?.text ?? "?") (\(responder["state"]?.text ?? "pending"))"
                }
            }
        }
        body += "<dt>Responders</dt><dd>\(escape(responders.isEmpty ? "none" : responders.joined(separator: ", ")))</dd>"
        body += "<dt>Dedup key</dt><dd><code>\(escape(incident.incidentKey ?? ""))</code></dd><dt>Id</dt><dd><code>\(escape(incident.id))</code></dd></dl>"
        body += "<h2>Alerts</h2>"
        for alert in state.alerts(of: incident) {
            let payload = alert.payload
            body += "<h3>\(escape(alert.summary)) <span class=\"\(escape(alert.status))\">\(escape(alert.status))</span></h3><dl>"
            for (title, key) in [("Severity", "severity"), ("Source", "source"), ("Component", "component"), ("Group", "group"), ("Class", "class")] {
                if let value = payload[key]?.text, !value.isEmpty { body += "<dt>\(title)</dt><dd>\(escape(value))</dd>" }
            }
            body += "<dt>Dedup key</dt><dd><code>\(escape(alert.dedupKey))</code></dd><dt>Events</dt><dd>\(alert.eventCount)</dd></dl>"
            if case .object(let details)? = payload["custom_details"], !details.isEmpty {
                body += "<table><tr><th>Custom detail</th><th>Value</th></tr>"
                for entry in details { body += "<tr><td>\(escape(entry.key))</td><td>\(escape(entry.value.text))</td></tr>" }
                body += "</table>"
            }
            body += linksAndImages(payload)
        }
        body += "<h2>Timeline</h2><table><tr><th>When</th><th>What</th><th>Who</th></tr>"
        var timeline: [(String, String, String)] = incident.logEntries.map { entry in
            let who = entry.summary.contains("Events API") ? "\(service?.name ?? "the service") (Events API)" : ""
            return (entry.createdAt, entry.summary, who)
        }
        timeline += incident.notes.map { ($0["created_at"]?.text ?? "", "Note: " + ($0["content"]?.text ?? ""), $0["user"]?["summary"]?.text ?? "") }
        timeline += incident.statusUpdates.map { ($0["created_at"]?.text ?? "", "Status update: " + ($0["message"]?.text ?? ""), $0["sender"]?["summary"]?.text ?? "") }
        // In time order; what happened in the same second keeps the order it was recorded in.
        let ordered = timeline.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
        for (when, what, who) in ordered {
            body += "<tr><td><small>\(escape(when))</small></td><td>\(escape(what))</td><td>\(escape(who))</td></tr>"
        }
        body += "</table><h2>Change events on \(escape(service?.name ?? "this service"))</h2>"
        body += changeEventTable(state.changeEvents.filter { $0["service"]?.text == incident.serviceID })
        return pageDocument(title: "#\(incident.number) \(incident.title)", body: body)
    }

    func names(_ userIDs: [String], _ state: SandboxState) -> String {
        let names = userIDs.map { id in state.users.first { $0.id == id }?.name ?? id }
        return names.isEmpty ? "nobody" : names.joined(separator: ", ")
    }

    func changeEventTable(_ events: [Value]) -> String {
        let escape = Self.htmlEscaped
        guard !events.isEmpty else { return "<p class=\"muted\">None.</p>" }
        var html = "<table><tr><th>When</th><th>Summary</th><th>Source</th><th>Details and links</th></tr>"
        for event in events.reversed() {
            var details = ""
            if case .object(let custom)? = event["custom_details"] {
                details += custom.entries.map { escape("\($0.key): \($0.value.text)") }.joined(separator: "<br>")
            }
            html += "<tr><td><small>\(escape(event["received_at"]?.text ?? ""))</small></td><td>\(escape(event["summary"]?.text ?? ""))</td>"
            html += "<td>\(escape(event["source"]?.text ?? ""))</td><td>\(details)\(linksAndImages(event))</td></tr>"
        }
        return html + "</table>"
    }

    /// An event's links and images; only http(s) targets become links (a `javascript:` URL
    /// stays text).
    func linksAndImages(_ event: Value) -> String {
        let escape = Self.htmlEscaped
        func safe(_ url: String) -> Bool { url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://") }
        var html = ""
        for link in event["links"]?.arrayValue ?? [] {
            let href = link["href"]?.text ?? ""
            let text = escape(link["text"]?.text ?? href)
            html += safe(href) ? "<p><a href=\"\(escape(href))\" rel=\"noreferrer\">\(text)</a></p>" : "<p>\(text) <code>\(escape(href))</code></p>"
        }
        for image in event["images"]?.arrayValue ?? [] where safe(image["src"]?.text ?? "") {
            html += "<p><img src=\"\(escape(image["src"]?.text ?? ""))\" alt=\"\(escape(image["alt"]?.text ?? ""))\"></p>"
        }
        return html
    }
}
