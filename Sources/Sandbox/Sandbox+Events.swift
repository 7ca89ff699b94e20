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
    /// `POST /v2/enqueue` and `POST /v2/change/enqueue`, with PagerDuty's validation, dedup rules
    /// and rate limit per routing key.
    func events(_ request: HTTPRequest) -> HTTPResponse {
        func invalid(_ errors: [String]) -> HTTPResponse {
            Self.json(400, ["status": "invalid event", "message": "Event object is invalid", "errors": .array(errors.map(Value.string))])
        }
        guard request.method == "POST" else { return Self.json(405, ["status": "invalid request", "message": "Use POST"]) }
        guard request.body.count <= 512 * 1024 else {
            return Self.json(413, ["status": "invalid request", "message": "Request entity too large (the limit is 512 KB)"])
        }
        guard case .object(let body)? = try? JSONParser.parse(bytes: request.body) else {
            return Self.json(400, ["status": "invalid request", "message": "Could not parse the request body as JSON"])
        }
        guard let routingKey = body["routing_key"]?.stringValue else { return invalid(["'routing_key' is missing or blank"]) }
        guard routingKey.count == 32 else { return invalid(["Length of 'routing_key' is incorrect (should be 32 characters)"]) }
        let (over, headers) = rateLimit("events:" + routingKey, events: true)
        if over {
            return Self.json(429, ["status": "throttle event", "message": "Requests for this service are arriving too quickly.  Please retry later."], headers: headers)
        }
        let isChange = request.path == "/v2/change/enqueue"
        return shared.withLock { shared -> HTTPResponse in
            guard let service = shared.state.services.first(where: { $0.integrationKey == routingKey }) else {
                return invalid(["the sandbox account has no integration with this routing key (the demo key is \(SandboxState.integrationKey))"])
            }
            let payload = body["payload"]?.objectValue ?? ValueObject()
            let summary = payload["summary"]?.stringValue ?? ""
            if (isChange || body["event_action"]?.stringValue == "trigger") && body["payload"]?.objectValue == nil {
                return invalid(["'payload' is missing or not an object"])
            }
            if isChange {
                if summary.isEmpty { return invalid(["'payload.summary' is missing or blank"]) }
                if summary.count > 1024 { return invalid(["'summary' is too long (maximum is 1024 characters)"]) }
                var stored = ValueObject([("id", .string(shared.state.nextID("PCHG"))), ("service", .string(service.id)), ("received_at", .string(SandboxState.now()))])
                stored["summary"] = .string(summary)
                stored["source"] = payload["source"] ?? .null
                stored["timestamp"] = payload["timestamp"] ?? .null
                stored["custom_details"] = payload["custom_details"] ?? .null
                stored["links"] = body["links"] ?? .array([])
                shared.state.changeEvents.append(.object(stored))
                return Self.json(202, ["status": "success", "message": "Change event processed"])
            }
            guard let action = body["event_action"]?.stringValue, ["trigger", "acknowledge", "resolve"].contains(action) else {
                return invalid(["'event_action' is invalid (must be trigger, acknowledge or resolve)"])
            }
            let dedupKey = body["dedup_key"]?.stringValue
            if let dedupKey, dedupKey.count > 255 { return invalid(["'dedup_key' is too long (maximum is 255 characters)"]) }
            if action != "trigger" {
                guard let dedupKey, !dedupKey.isEmpty else { return invalid(["'dedup_key' is missing or blank"]) }
                // Acknowledge and resolve match an open alert of the same routing key, or are dropped.
                if let index = shared.state.openAlert(routingKey: routingKey, dedupKey: dedupKey) {
                    shared.state.apply(action, toAlertAt: index)
                }
                return Self.json(202, ["status": "success", "message": "Event processed", "dedup_key": .string(dedupKey)])
            }
            var errors: [String] = []
            if summary.isEmpty { errors.append("'payload.summary' is missing or blank") }
            if summary.count > 1024 { errors.append("'summary' is too long (maximum is 1024 characters)") }
            if payload["source"]?.stringValue?.isEmpty != false { errors.append("'payload.source' is missing or blank") }
            let severity = payload["severity"]?.stringValue ?? ""
            if !["critical", "error", "warning", "info"].contains(severity) { errors.append("'payload.severity' is invalid (must be critical, error, warning or info)") }
            if case .array(let images)? = body["images"] {
                for image in images where image["src"]?.stringValue?.hasPrefix("https://") != true {
                    errors.append("'images[].src' must be an HTTPS URL")
                }
            }
            if !errors.isEmpty { return invalid(errors) }
            let key = dedupKey.flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString.replacing("-", with: "").lowercased()
            // The alert keeps the event's links and images beside its payload, for the pages.
            var kept = payload
            for field in ["links", "images"] { if let value = body[field] { kept[field] = value } }
            shared.state.trigger(service: service, dedupKey: key, summary: summary, severity: severity, payload: .object(kept))
            return Self.json(202, ["status": "success", "message": "Event processed", "dedup_key": .string(key)])
        }
    }
}

extension SandboxState {
    /// A trigger: adds to the open alert with the same key, or opens an alert and an incident.
    mutating func trigger(service: SandboxService, dedupKey: String, summary: String, severity: String, payload: Value) {
        let now = Self.now()
        if let index = openAlert(routingKey: service.integrationKey, dedupKey: dedupKey) {
            alerts[index].eventCount += 1
            if let incident = incidentPositions[alerts[index].incidentID] {
                incidents[incident].logEntries.append(SandboxLogEntry(type: "trigger_log_entry", createdAt: now, summary: "Deduplicated into the open alert: \(summary)"))
            }
            return
        }
        let policy = policies.first { $0.id == service.escalationPolicyID }
        // An incident's id carries its number (#1 is PINC00001), as a person reading the page expects.
        let incidentID = "PINC" + Text.padded(incidents.count + 1, width: 5)
        let alert = SandboxAlert(
            id: nextID("PALR"), incidentID: incidentID, status: "triggered", dedupKey: dedupKey, routingKey: service.integrationKey,
            severity: severity, summary: summary, createdAt: now, resolvedAt: nil, payload: payload, eventCount: 1)
        var incident = SandboxIncident(
            id: incidentID, number: incidents.count + 1, title: summary, status: "triggered",
            urgency: severity == "critical" || severity == "error" ? "high" : "low", serviceID: service.id,
            escalationPolicyID: service.escalationPolicyID, escalationLevel: 1, assigneeIDs: onCall(policy, level: 1),
            incidentKey: dedupKey, createdAt: now, updatedAt: now)
        incident.alertIDs = [alert.id]
        incident.logEntries.append(SandboxLogEntry(type: "trigger_log_entry", createdAt: now, summary: "Triggered through the Events API: \(summary)"))
        add(incident, alert)
        announce("incident.triggered", incidentID: incidentID, agent: reference("service", service.id, summary: service.name, path: "services"))
    }

    /// The users a level of a policy pages (schedules resolve to their first layer's first user).
    func onCall(_ policy: SandboxEscalationPolicy?, level: Int) -> [String] {
        guard let policy, !policy.rules.isEmpty else { return [] }
        let rule = policy.rules[(level - 1) % policy.rules.count]
        return rule.targets.compactMap { target in
            target.type == "user_reference" ? target.id : schedules.first { $0.id == target.id }?.layers.first?.users.first
        }
    }

    /// An acknowledge or resolve event on an open alert.
    mutating func apply(_ action: String, toAlertAt index: Int) {
        let now = Self.now()
        guard let incidentIndex = incidentPositions[alerts[index].incidentID] else { return }
        if action == "resolve" {
            alerts[index].status = "resolved"
            alerts[index].resolvedAt = now
            let open = alerts(of: incidents[incidentIndex]).contains { $0.status == "triggered" }
            if !open {
                incidents[incidentIndex].status = "resolved"
                incidents[incidentIndex].resolvedAt = now
            }
            incidents[incidentIndex].logEntries.append(SandboxLogEntry(type: "resolve_log_entry", createdAt: now, summary: "Resolved through the Events API"))
            if !open { announce("incident.resolved", incidentID: incidents[incidentIndex].id) }
        } else if incidents[incidentIndex].status == "triggered" {
            incidents[incidentIndex].status = "acknowledged"
            incidents[incidentIndex].logEntries.append(SandboxLogEntry(type: "acknowledge_log_entry", createdAt: now, summary: "Acknowledged through the Events API"))
            announce("incident.acknowledged", incidentID: incidents[incidentIndex].id)
        }
        incidents[incidentIndex].updatedAt = now
    }
}
