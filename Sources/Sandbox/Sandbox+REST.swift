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
    enum Identity {
        case account
        case user(String)
        case oauth
    }

    /// The REST API: authentication, rate limits, the From rule, then the resource.
    func rest(_ request: HTTPRequest) -> HTTPResponse {
        let identity: Identity
        switch request.header("Authorization") {
        case "Token token=\(SandboxState.accountAPIKey)"?: identity = .account
        case "Token token=\(SandboxState.userAPIKey)"?: identity = .user("PUSR001")
        case let value? where value.hasPrefix("Bearer "):
            let token = String(value.dropFirst(7))
            let valid = shared.withLock { ($0.state.oauthTokens[token] ?? 0) > Date().timeIntervalSince1970 }
            guard valid else { return Self.restError(401, "Authentication failed: the OAuth token is not valid or has expired", code: 2006) }
            identity = .oauth
        default:
            return Self.restError(401, "Authentication failed", code: 2006, errors: ["Send Authorization: Token token=<API key>; the sandbox's key is \(SandboxState.accountAPIKey)"])
        }
        let (over, limitHeaders) = rateLimit("rest:" + (request.header("Authorization") ?? ""), events: false)
        if over { return Self.restError(429, "Rate Limit Exceeded", code: 2020).with(headers: limitHeaders) }
        let parts = request.path.split(separator: "/").map(String.init)
        let body = request.body.isEmpty ? Value.null : ((try? JSONParser.parse(bytes: request.body)) ?? .string("\u{0}"))
        if body == .string("\u{0}") { return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["The request body is not valid JSON"]).with(headers: limitHeaders) }

        // The From header, where PagerDuty's schema requires it and the key is not a user's.
        if Self.requiresFrom(request.method, parts), case .user = identity {} else if Self.requiresFrom(request.method, parts) {
            guard let from = request.header("From"), !from.isEmpty else {
                return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["You must specify a user's email address in the \"From\" header to perform this action"]).with(headers: limitHeaders)
            }
            let known = shared.withLock { $0.state.users.contains { $0.email.lowercased() == from.lowercased() } }
            if !known {
                return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["The \"From\" header must be the email of a user in this account; \(from) is not one"]).with(headers: limitHeaders)
            }
        }
        let actor: String? = {
            if case .user(let id) = identity { return id }
            guard let from = request.header("From") else { return nil }
            return shared.withLock { $0.state.users.first { $0.email.lowercased() == from.lowercased() }?.id }
        }()
        let response = shared.withLock { shared in
            route(request.method, parts, request, body, identity: identity, actor: actor, state: &shared.state)
        }
        return response.with(headers: limitHeaders)
    }

    /// Operations whose schema marks `From` required (pagerduty-api.md 2.1).
    static func requiresFrom(_ method: String, _ parts: [String]) -> Bool {
        switch (method, parts.count, parts.first) {
        case ("POST", 1, "incidents"), ("PUT", 1, "incidents"), ("PUT", 2, "incidents"), ("POST", 1, "users"): return true
        case ("POST", 3, "incidents"): return ["notes", "status_updates", "snooze"].contains(parts[2])
        case ("PUT", 3, "incidents"): return parts[2] == "merge"
        case ("POST", 3, "response_plays"): return parts[2] == "run"
        default: return false
        }
    }

    /// Hands a request to its resource's routes (one file each); unknown paths are 404.
    func route(_ method: String, _ parts: [String], _ request: HTTPRequest, _ body: Value, identity: Identity, actor: String?, state: inout SandboxState) -> HTTPResponse {
        let call = RESTCall(method: method, parts: parts, request: request, body: body, identity: identity, actor: actor)
        switch parts.first ?? "" {
        case "users": return routeUsers(call, &state)
        case "abilities", "teams", "services", "schedules", "escalation_policies": return routeDirectory(call, &state)
        case "incidents", "incident_workflows", "response_plays": return routeIncidents(call, &state)
        case "webhook_subscriptions": return routeWebhooks(call, &state)
        default: return Self.notFound
        }
    }

    /// One REST request, as the routes see it.
    struct RESTCall {
        var method: String
        var parts: [String]
        var request: HTTPRequest
        var body: Value
        var identity: Identity
        var actor: String?
    }

    static let notFound = restError(404, "Not Found", code: 2100)

    /// A classic offset page of `items`.
    static func page(_ request: HTTPRequest, _ key: String, _ items: [Value]) -> HTTPResponse {
        let limit = min(100, max(1, Int(request.queryValue("limit") ?? "") ?? 25))
        let offset = max(0, Int(request.queryValue("offset") ?? "") ?? 0)
        if offset > 10_000 - limit {  // (not offset + limit: an offset near Int.max would overflow)
            return restError(400, "Invalid Input Provided", code: 2002, errors: ["Offset+limit exceeds maximum allowed value of 10000"])
        }
        let slice = offset < items.count ? Array(items[offset..<min(items.count, offset + limit)]) : []
        let total: Value = request.queryValue("total") == "true" ? .int(items.count) : .null
        return json(200, [key: .array(slice), "limit": .int(limit), "offset": .int(offset), "more": .bool(offset + slice.count < items.count), "total": total])
    }

    func listIncidents(_ request: HTTPRequest, _ state: SandboxState) -> HTTPResponse {
        let statuses = request.queryValues("statuses[]")
        let urgencies = request.queryValues("urgencies[]")
        let services = request.queryValues("service_ids[]")
        let teams = request.queryValues("team_ids[]")
        let users = request.queryValues("user_ids[]")
        let key = request.queryValue("incident_key")
        var since = request.queryValue("since").flatMap(Self.parseDate)
        var until = request.queryValue("until").flatMap(Self.parseDate)
        if request.queryValue("since") != nil && since == nil || request.queryValue("until") != nil && until == nil {
            return Self.restError(400, "Invalid Input Provided", code: 2004, errors: ["since and until must be ISO 8601 dates"])
        }
        if request.queryValue("date_range") == "all" {
            since = nil
            until = nil
        } else {
            let end = until ?? (since.map { $0.addingTimeInterval(30 * 86_400) } ?? Date())
            let start = since ?? end.addingTimeInterval(-30 * 86_400)
            if end.timeIntervalSince(start) > 183 * 86_400 {
                return Self.restError(400, "Invalid Input Provided", code: 2005, errors: ["The date range may not be longer than 6 months"])
            }
            since = start
            until = end
        }
        var found = state.incidents.filter { incident in
            let created = Self.parseDate(incident.createdAt) ?? Date()
            let service = state.services.first { $0.id == incident.serviceID }
            return (statuses.isEmpty || statuses.contains(incident.status)) && (urgencies.isEmpty || urgencies.contains(incident.urgency))
                && (services.isEmpty || services.contains(incident.serviceID))
                && (teams.isEmpty || (service?.teamIDs ?? []).contains(where: teams.contains))
                && (users.isEmpty || incident.status != "resolved" && incident.assigneeIDs.contains(where: users.contains))
                && (key == nil || incident.incidentKey == key)
                && (since.map { created >= $0 } ?? true) && (until.map { created < $0 } ?? true)
        }
        if let sort = request.queryValue("sort_by"), sort.hasSuffix(":desc") { found.reverse() }
        return Self.page(request, "incidents", found.map { state.incident($0) })
    }

    static func parseDate(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().year().month().day().parse(text) { return date }
        return nil
    }

    func bulkUpdate(_ body: Value, actor: String?, _ state: inout SandboxState) -> HTTPResponse {
        guard case .array(let items)? = body["incidents"] else {
            return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["incidents must be an array"])
        }
        guard items.count <= 250 else {
            return Self.restError(413, "Request Entity Too Large", code: 2001, errors: ["At most 250 incidents can be updated at once; got \(items.count)"])
        }
        // All or nothing, as PagerDuty: check every item on a copy first.
        var copy = state
        var updated: [Value] = []
        for item in items {
            guard case .object(let fields) = item, let id = fields["id"]?.stringValue, let index = copy.findIncident(id) else {
                return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["Incident \(item["id"]?.text ?? "(no id)") not found; nothing was updated"])
            }
            if let problem = copy.update(index, fields, actor: actor) { return problem }
            updated.append(copy.incident(copy.incidents[index]))
        }
        state = copy
        return Self.json(200, ["incidents": .array(updated), "limit": .int(updated.count), "offset": 0, "more": false, "total": .null])
    }

    func responderRequest(_ index: Int, _ body: Value, _ state: inout SandboxState) -> HTTPResponse {
        guard state.abilities.contains("coordinated_responding") else {
            return Self.restError(402, "Account does not have the ability coordinated_responding", code: 2014)
        }
        var errors: [String] = []
        let requester = body["requester_id"]?.stringValue ?? ""
        if !state.users.contains(where: { $0.id == requester }) { errors.append("requester_id must be the id of a user in this account") }
        let message = body["message"]?.stringValue ?? ""
        if message.isEmpty { errors.append("message is required") }
        var targets: [Value] = []
        for item in body["responder_request_targets"]?.arrayValue ?? [] {
            let target = item["responder_request_target"] ?? item
            let id = target["id"]?.stringValue ?? ""
            switch target["type"]?.stringValue {
            case "user_reference", "user":
                if state.users.contains(where: { $0.id == id }) { targets.append(state.userReference(id)) } else { errors.append("user \(id) not found") }
            case "escalation_policy_reference", "escalation_policy":
                if let policy = state.policies.first(where: { $0.id == id }) {
                    targets.append(state.reference("escalation_policy", id, summary: policy.name, path: "escalation_policies"))
                } else { errors.append("escalation policy \(id) not found") }
            default: errors.append("each responder_request_target needs a type of user_reference or escalation_policy_reference")
            }
        }
        if targets.isEmpty && errors.isEmpty { errors.append("responder_request_targets must name at least one user or escalation policy") }
        if !errors.isEmpty { return Self.restError(400, "Invalid Input Provided", code: 2001, errors: errors) }
        let record: Value = [
            "incident": state.reference("incident", state.incidents[index].id, summary: state.incidents[index].title, path: "incidents"),
            "requester": state.userReference(requester), "requested_at": .string(SandboxState.now()), "message": .string(message),
            "responder_request_targets": .array(targets.map { ["responder_request_target": $0] }),
        ]
        state.incidents[index].responderRequests.append(record)
        state.announce("incident.responder.added", incidentID: state.incidents[index].id, agent: state.userReference(requester))
        state.incidents[index].logEntries.append(SandboxLogEntry(type: "responder_request_log_entry", createdAt: SandboxState.now(), summary: "Responders requested: \(message)"))
        return Self.json(200, ["responder_request": record])
    }

    static let roles = ["admin", "limited_user", "observer", "owner", "read_only_user", "restricted_access", "read_only_limited_user", "user"]

    func createUser(_ body: Value, _ state: inout SandboxState) -> HTTPResponse {
        guard case .object(let fields)? = body["user"] else { return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["user is required"]) }
        var errors: [String] = []
        let name = fields["name"]?.stringValue ?? ""
        let email = fields["email"]?.stringValue ?? ""
        if fields["type"]?.stringValue != "user" { errors.append("type must be user") }
        if name.isEmpty || name.count > 100 { errors.append("Name must be 1 to 100 characters") }
        if email.count < 6 || email.count > 100 || !email.contains("@") { errors.append("Email is not a valid email address") }
        if state.users.contains(where: { $0.email.lowercased() == email.lowercased() }) { errors.append("Email has already been taken") }
        if let role = fields["role"]?.stringValue, !Self.roles.contains(role) { errors.append("Role must be one of \(Self.roles.joined(separator: ", "))") }
        if !errors.isEmpty { return Self.restError(400, "Invalid Input Provided", code: 2001, errors: errors) }
        let user = SandboxUser(
            id: state.nextID("PUSR"), name: name, email: email, role: fields["role"]?.stringValue ?? "user",
            color: fields["color"]?.stringValue ?? "green", timeZone: fields["time_zone"]?.stringValue ?? "UTC",
            jobTitle: fields["job_title"]?.stringValue ?? "", description: fields["description"]?.stringValue ?? "", teamIDs: [],
            contactMethods: [["type": "email_contact_method", "id": .string(state.nextID("PCM")), "label": "Default", "address": .string(email), "summary": "Default"]])
        state.users.append(user)
        return Self.json(201, ["user": state.user(user)])
    }

    func updateUser(_ id: String, _ body: Value, _ state: inout SandboxState) -> HTTPResponse {
        guard let index = state.users.firstIndex(where: { $0.id == id }) else { return Self.restError(404, "Not Found", code: 2100) }
        guard case .object(let fields)? = body["user"] else { return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["user is required"]) }
        if let role = fields["role"]?.stringValue, !Self.roles.contains(role) {
            return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["Role must be one of \(Self.roles.joined(separator: ", "))"])
        }
        if let email = fields["email"]?.stringValue, state.users.contains(where: { $0.id != id && $0.email.lowercased() == email.lowercased() }) {
            return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["Email has already been taken"])
        }
        var user = state.users[index]
        if let v = fields["name"]?.stringValue { user.name = v }
        if let v = fields["email"]?.stringValue { user.email = v }
        if let v = fields["role"]?.stringValue { user.role = v }
        if let v = fields["color"]?.stringValue { user.color = v }
        if let v = fields["time_zone"]?.stringValue { user.timeZone = v }
        if let v = fields["job_title"]?.stringValue { user.jobTitle = v }
        if let v = fields["description"]?.stringValue { user.description = v }
        state.users[index] = user
        return Self.json(200, ["user": state.user(user)])
    }
}

extension SandboxState {
    /// The incident with this id or incident number.
    func findIncident(_ idOrNumber: String) -> Int? {
        if let position = incidentPositions[idOrNumber] { return position }
        // Numbers are given in order of creation, starting at 1.
        guard let number = Int(idOrNumber), number >= 1, number <= incidents.count, incidents[number - 1].number == number else { return nil }
        return number - 1
    }

    /// Applies `PUT /incidents/{id}` fields; answers an error response, or nil.
    mutating func update(_ index: Int, _ fields: ValueObject, actor: String?) -> HTTPResponse? {
        func invalid(_ message: String, code: Int = 2001, _ errors: [String] = []) -> HTTPResponse {
            Sandbox.restError(400, message, code: code, errors: errors)
        }
        guard let type = fields["type"]?.stringValue, type == "incident" || type == "incident_reference" else {
            return invalid("Invalid Input Provided", ["incident.type must be incident or incident_reference"])
        }
        var incident = incidents[index]
        let now = Self.now()
        if fields["assignments"] != nil && fields["escalation_policy"] != nil {
            return invalid("Invalid Input Provided", ["assignments and escalation_policy cannot be set together"])
        }
        if let status = fields["status"]?.stringValue {
            guard ["acknowledged", "resolved", "triggered"].contains(status) else { return invalid("Invalid status", code: 1003, ["status must be acknowledged, resolved or triggered"]) }
            if status == "resolved" && incident.status == "resolved" { return invalid("Incident Already Resolved", code: 1001) }
            if status != incident.status {
                incident.status = status
                incident.resolvedAt = status == "resolved" ? now : nil
                if status == "resolved" {
                    for i in incident.alertIDs.compactMap({ alertPositions[$0] }) where alerts[i].status == "triggered" {
                        alerts[i].status = "resolved"
                        alerts[i].resolvedAt = now
                    }
                }
                if status == "acknowledged", let actor { incident.assigneeIDs = [actor] }
                if status != "triggered" { announce("incident.\(status)", incidentID: incident.id, agent: actor.map(userReference)) }
                incident.logEntries.append(SandboxLogEntry(type: status == "resolved" ? "resolve_log_entry" : status == "acknowledged" ? "acknowledge_log_entry" : "trigger_log_entry", createdAt: now, summary: "\(status.capitalized) through the REST API"))
            }
        }
        if let resolution = fields["resolution"]?.stringValue {
            guard incident.status == "resolved" else { return invalid("Invalid Input Provided", ["resolution can only be set together with status resolved"]) }
            incident.resolution = resolution
        }
        if let title = fields["title"]?.stringValue {
            guard !title.isEmpty else { return invalid("Invalid Input Provided", ["Title cannot be empty."]) }
            incident.title = title
        }
        if let urgency = fields["urgency"]?.stringValue {
            guard urgency == "high" || urgency == "low" else { return invalid("Invalid Input Provided", ["urgency must be high or low"]) }
            incident.urgency = urgency
        }
        if let level = fields["escalation_level"] {
            guard let number = level.intValue else { return invalid("Invalid Input Provided", ["escalation_level must be an integer"]) }
            let policy = policies.first { $0.id == incident.escalationPolicyID }
            guard incident.status != "resolved" else { return invalid("Incident Already Resolved", code: 1001) }
            guard let policy, number >= 1, number <= policy.rules.count else {
                return invalid("Cannot escalate", code: 1006, ["The escalation policy has \(policies.first { $0.id == incident.escalationPolicyID }?.rules.count ?? 0) levels; \(number) is not one of them"])
            }
            incident.escalationLevel = number
            incident.assigneeIDs = onCall(policy, level: number)
            incident.logEntries.append(SandboxLogEntry(type: "escalate_log_entry", createdAt: now, summary: "Escalated to level \(number)"))
            announce("incident.escalated", incidentID: incident.id, agent: actor.map(userReference))
        }
        if let reference = fields["escalation_policy"] {
            guard let id = reference["id"]?.stringValue, let policy = policies.first(where: { $0.id == id }) else {
                return invalid("Escalation Policy Not Found", code: 1014, ["escalation policy \(reference["id"]?.text ?? "") does not exist"])
            }
            incident.escalationPolicyID = policy.id
            incident.escalationLevel = 1
            incident.assigneeIDs = onCall(policy, level: 1)
            incident.logEntries.append(SandboxLogEntry(type: "reassign_log_entry", createdAt: now, summary: "Escalation policy changed to \(policy.name)"))
            announce("incident.reassigned", incidentID: incident.id, agent: actor.map(userReference))
        }
        if case .array(let assignments)? = fields["assignments"] {
            var ids: [String] = []
            for assignment in assignments {
                guard let id = assignment["assignee"]?["id"]?.stringValue, users.contains(where: { $0.id == id }) else {
                    return invalid("Assignee Not Found", code: 1007, ["assignee \(assignment["assignee"]?["id"]?.text ?? "") is not a user of this account"])
                }
                ids.append(id)
            }
            incident.assigneeIDs = ids
            incident.logEntries.append(SandboxLogEntry(type: "assign_log_entry", createdAt: now, summary: "Assigned to \(ids.joined(separator: ", "))"))
            announce("incident.reassigned", incidentID: incident.id, agent: actor.map(userReference))
        }
        incident.updatedAt = now
        incidents[index] = incident
        return nil
    }
}

extension HTTPResponse {
    func with(headers more: [(name: String, value: String)]) -> HTTPResponse {
        var copy = self
        copy.headers += more
        return copy
    }
}
