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

extension Sandbox {
    /// The sandbox's own paths: state, request log, faults, limits, reset, and the HTML page.
    func admin(_ request: HTTPRequest) -> HTTPResponse {
        switch (request.method, request.path) {
        case ("GET", "/"), ("GET", "/index.html"):
            return .text(200, incidentList(), contentType: "text/html; charset=utf-8")
        case ("GET", "/_sandbox/version"):
            return Self.json(200, ["version": .int(shared.withLock { $0.version })])
        case ("GET", "/_sandbox/state"):
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: stateJSON())
        case ("GET", "/_sandbox/requests"):
            return Self.json(200, ["requests": .array(shared.withLock { $0.log })])
        case ("DELETE", "/_sandbox/requests"):
            shared.withLock { shared in
                shared.log.removeAll()
                shared.logSizes.removeAll()
                shared.logBytes = 0
            }
            return HTTPResponse(status: 204)
        case ("POST", "/_sandbox/reset"):
            shared.withLock { shared in
                let base = shared.state.baseURL
                shared = Shared()
                shared.state.baseURL = base
            }
            return HTTPResponse(status: 204)
        case ("POST", "/_sandbox/faults"):
            guard case .object(let spec)? = try? JSONParser.parse(bytes: request.body), let path = spec["path"]?.stringValue else {
                return .text(400, "POST /_sandbox/faults takes {\"path\": \"/v2/enqueue\", \"count\": 1, \"status\": 503 | \"delay_ms\": 100 | \"drop\": true, \"body\": \"...\", \"headers\": {}, \"method\": \"POST\"}\n")
            }
            let headers = spec["headers"]?.objectValue?.entries.map { ($0.key, $0.value.text) } ?? []
            // Admin input is bounded like any other: a fault lasts at most 100,000 requests and
            // delays at most 10 minutes.
            let count = spec["count"].map { $0.intValue } ?? 1
            let delay = spec["delay_ms"].map { $0.intValue } ?? 0
            let status = spec["status"].map { $0.intValue }
            guard let count, (1...100_000).contains(count), let delay, (0...600_000).contains(delay),
                status.map({ $0.map { (100...599).contains($0) } ?? false }) ?? true
            else {
                return .text(400, "faults: count must be 1 to 100000, delay_ms 0 to 600000, status 100 to 599\n")
            }
            let fault = Fault(
                path: path, method: spec["method"]?.stringValue, remaining: count, status: status ?? nil,
                body: spec["body"]?.text, headers: headers, delay: Double(delay) / 1000, drop: spec["drop"]?.boolValue ?? false)
            shared.withLock { $0.faults.append(fault) }
            return HTTPResponse(status: 204)
        case ("POST", "/_sandbox/limits"):
            guard case .object(let spec)? = try? JSONParser.parse(bytes: request.body) else {
                return .text(400, "POST /_sandbox/limits takes {\"rest\": 960, \"events\": 120, \"window_seconds\": 60}\n")
            }
            // Each number is checked: a window of 1e30 seconds once made the next event trap.
            func number(_ name: String, _ range: ClosedRange<Double>) -> Double?? {
                guard let field = spec[name] else { return .some(nil) }
                guard let value = Double(field.text), value.isFinite, range.contains(value) else { return nil }
                return .some(value)
            }
            guard let rest = number("rest", 1...1_000_000_000), let events = number("events", 1...1_000_000_000),
                let window = number("window_seconds", 0.001...86_400)
            else {
                return .text(400, "limits: rest and events must be 1 to 1000000000, window_seconds more than 0 and at most 86400\n")
            }
            shared.withLock { shared in
                if let rest { shared.limits.restLimit = Int(rest) }
                if let events { shared.limits.eventsLimit = Int(events) }
                if let window { shared.limits.window = window }
                shared.restHits.removeAll()
                shared.eventHits.removeAll()
            }
            return HTTPResponse(status: 204)
        default:
            return .text(404, "unknown sandbox path \(request.path)\n")
        }
    }

    /// Everything the account holds, with the internal fields tests check (escalation level,
    /// assignees, alerts with their dedup keys, notes, change events).
    public func stateSnapshot() -> Value {
        // Copied under the lock (a copy-on-write copy: cheap), built outside it, so a large
        // dump never holds up the events a job is sending.
        let state = shared.withLock { $0.state }
        return [
            "incidents": .array(state.incidents.map { Self.incidentSnapshot($0, state) }), "change_events": .array(state.changeEvents),
            "users": .array(state.users.map { state.user($0, include: ["contact_methods"]) }),
        ]
    }

    /// The same document as bytes, built one incident at a time: memory for the text, not for
    /// a tree of every incident as well (20,000 incidents are about 50 MB of JSON).
    func stateJSON() -> [UInt8] {
        let state = shared.withLock { $0.state }
        var bytes = Array("{\"incidents\":[".utf8)
        for (index, incident) in state.incidents.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += JSONWriter.write(Self.incidentSnapshot(incident, state)).utf8
        }
        bytes += Array("],\"change_events\":".utf8)
        bytes += JSONWriter.write(.array(state.changeEvents)).utf8
        bytes += Array(",\"users\":".utf8)
        bytes += JSONWriter.write(.array(state.users.map { state.user($0, include: ["contact_methods"]) })).utf8
        bytes += "}".utf8
        return bytes
    }

    /// One incident as the state dump shows it: the API's incident, plus what the sandbox
    /// keeps (assignee ids, notes, status updates, responders, workflow runs, alerts with their
    /// payloads and event counts, the log).
    static func incidentSnapshot(_ incident: SandboxIncident, _ state: SandboxState) -> Value {
        var object = state.incident(incident).objectValue ?? ValueObject()
        object["escalation_level"] = .int(incident.escalationLevel)
        object["assignee_ids"] = .array(incident.assigneeIDs.map(Value.string))
        object["resolution"] = incident.resolution.map(Value.string) ?? .null
        object["notes"] = .array(incident.notes)
        object["status_updates"] = .array(incident.statusUpdates)
        object["responder_requests"] = .array(incident.responderRequests)
        object["workflow_instances"] = .array(incident.workflowInstances)
        object["alerts"] = .array(state.alerts(of: incident).map { alert in
            var a = state.alert(alert).objectValue ?? ValueObject()
            a["event_count"] = .int(alert.eventCount)
            // The dump (not an API answer) also shows the event's payload as sent.
            a["payload"] = alert.payload
            return .object(a)
        })
        object["log_entries"] = .array(incident.logEntries.map { ["type": .string($0.type), "summary": .string($0.summary), "created_at": .string($0.createdAt)] })
        return .object(object)
    }

    /// `POST /oauth/token`: the client-credentials grant for the demo OAuth app.
    func oauthToken(_ request: HTTPRequest) -> HTTPResponse {
        let form = request.formFields
        func field(_ name: String) -> String? { form.first { $0.name == name }?.value }
        guard field("grant_type") == "client_credentials" else {
            return Self.json(400, ["error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"])
        }
        guard field("client_id") == SandboxState.oauthClientID, field("client_secret") == SandboxState.oauthClientSecret else {
            return Self.json(401, ["error": "invalid_client", "error_description": "client_id or client_secret is wrong"])
        }
        let token = "pdus+sandbox-" + UUID().uuidString.lowercased()
        let lifetime = 3600.0
        shared.withLock { $0.state.oauthTokens[token] = Date().timeIntervalSince1970 + lifetime }
        return Self.json(200, [
            "access_token": .string(token), "token_type": "bearer", "expires_in": .int(Int(lifetime)),
            "scope": .string(field("scope") ?? "as_account-us.\(SandboxState.subdomain) incidents.write users.write"),
        ])
    }

    /// Text for HTML (element content or a quoted attribute).
    static func htmlEscaped(_ text: String) -> String { HTML.escape(text) }

}

extension Sandbox {
    /// Lifts the REST and Events rate limits (to a billion per window), for a sandbox that
    /// serves one job run rather than emulating PagerDuty's limits.
    public func liftLimits() {
        shared.withLock { shared in
            shared.limits.restLimit = 1_000_000_000
            shared.limits.eventsLimit = 1_000_000_000
        }
    }
}
