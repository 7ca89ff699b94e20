#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Values

/// Requests for incidents (REST API v2). Each builder answers the request; `send` sends it.
extension PagerDutyRequest {
    static func incidentPath(_ id: String) -> String { "/incidents/\(segment(id))" }

    /// An id as one URL path segment: every byte but letters and digits percent-encoded, so no
    /// id can add a segment, climb with `..` or start a query. Steps check the shape of ids
    /// before anything is sent (`IdentifierShape`); this is the last line of defence.
    public static func segment(_ id: String) -> String {
        var out = ""
        for byte in id.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80 && (c.isLetter || c.isNumber) { out.append(c) } else { out += "%" + Text.hex(byte, width: 2) }
        }
        return out
    }

    /// `POST /incidents/{id}/notes` (From; 200).
    public static func addNote(incident: String, content: String) -> PagerDutyRequest {
        PagerDutyRequest(method: "POST", path: incidentPath(incident) + "/notes", body: ["note": ["content": .string(content)]], requiresFrom: true)
    }

    /// `PUT /incidents/{id}` with some fields (From; 200).
    public static func updateIncident(_ id: String, fields: ValueObject) -> PagerDutyRequest {
        var incident = ValueObject([("type", "incident_reference")])
        for entry in fields { incident[entry.key] = entry.value }
        return PagerDutyRequest(method: "PUT", path: incidentPath(id), body: ["incident": .object(incident)], requiresFrom: true)
    }

    /// `GET /incidents/{id}` (id or incident number).
    public static func getIncident(_ id: String, include: [String] = []) -> PagerDutyRequest {
        PagerDutyRequest(method: "GET", path: incidentPath(id), query: include.map { ("include[]", $0) })
    }

    /// `POST /incidents/{id}/status_updates` (From; 200).
    public static func statusUpdate(incident: String, message: String) -> PagerDutyRequest {
        PagerDutyRequest(method: "POST", path: incidentPath(incident) + "/status_updates", body: ["message": .string(message)], requiresFrom: true)
    }

    /// `POST /incidents/{id}/responder_requests` (200), targets in the wrapped form of
    /// PagerDuty's example.
    public static func responderRequest(incident: String, requesterID: String, message: String, userIDs: [String], policyIDs: [String]) -> PagerDutyRequest {
        let targets = userIDs.map { Value.object(ValueObject([("responder_request_target", ["id": .string($0), "type": "user_reference"])])) }
            + policyIDs.map { Value.object(ValueObject([("responder_request_target", ["id": .string($0), "type": "escalation_policy_reference"])])) }
        return PagerDutyRequest(
            method: "POST", path: incidentPath(incident) + "/responder_requests",
            body: ["requester_id": .string(requesterID), "message": .string(message), "responder_request_targets": .array(targets)])
    }

    /// `POST /incident_workflows/{id}/instances` (201).
    public static func startWorkflow(_ workflowID: String, incident: String) -> PagerDutyRequest {
        PagerDutyRequest(
            method: "POST", path: "/incident_workflows/\(segment(workflowID))/instances",
            body: ["incident_workflow_instance": ["incident": ["id": .string(incident), "type": "incident_reference"]]])
    }

    /// `POST /response_plays/{id}/run` (From). PagerDuty removed response plays in 2025.
    public static func runResponsePlay(_ playID: String, incident: String) -> PagerDutyRequest {
        PagerDutyRequest(method: "POST", path: "/response_plays/\(segment(playID))/run", body: ["incident": ["id": .string(incident), "type": "incident_reference"]], requiresFrom: true)
    }

    /// `PUT /incidents` for at most 250 incidents (From; all or nothing).
    public static func bulkUpdate(_ items: [Value]) -> PagerDutyRequest {
        PagerDutyRequest(method: "PUT", path: "/incidents", body: ["incidents": .array(items)], requiresFrom: true)
    }

    /// `GET /incident/{id}/alerts`.
    public static func incidentAlerts(_ id: String) -> PagerDutyRequest {
        PagerDutyRequest(method: "GET", path: incidentPath(id) + "/alerts")
    }
}

extension PagerDutyClient {
    /// PagerDuty's ceiling on `offset + limit` for classic pagination.
    public static let paginationCeiling = 10_000

    /// Every item of a paginated list (`key` is the plural, such as `incidents`), 100 per page,
    /// up to `maximum` items. When PagerDuty's 10,000 ceiling stops it before the end, it answers
    /// what it has with `ceilingReached` set.
    public func listAll(_ request: PagerDutyRequest, key: String, maximum: Int = .max) async throws(PagerDutyError) -> (items: [Value], ceilingReached: Bool) {
        var items: [Value] = []
        var offset = 0
        while items.count < maximum {
            let limit = min(100, maximum - items.count)
            if offset + limit > Self.paginationCeiling { return (items, true) }
            var page = request
            page.query += [("limit", String(limit)), ("offset", String(offset))]
            let response = try await send(page)
            let batch = response.body[key]?.arrayValue ?? []
            items += batch
            guard response.body["more"]?.boolValue == true, !batch.isEmpty else { return (items, false) }
            offset += batch.count
        }
        return (items, false)
    }

    /// The id of the user with this email (`GET /users?query=`); an unknown email is an error
    /// that names it.
    public func userID(email: String) async throws(PagerDutyError) -> String {
        let (users, _) = try await listAll(PagerDutyRequest(method: "GET", path: "/users", query: [("query", email)]), key: "users")
        guard let user = users.first(where: { $0["email"]?.stringValue?.lowercased() == email.lowercased() }), let id = user["id"]?.stringValue else {
            throw PagerDutyError(.invalidRequest, "no PagerDuty user has the email \(email)")
        }
        return id
    }

    /// The query of `GET /incidents` for a time window and filters (`statuses[]`, ...).
    public static func incidentsQuery(since: Date?, until: Date?, filters: [(String, String)]) -> [(String, String)] {
        var query: [(String, String)] = []
        let format = Date.ISO8601FormatStyle()
        if let since { query.append(("since", format.format(since))) }
        if let until { query.append(("until", format.format(until))) }
        return query + filters
    }

    /// Every incident of a window matching `filters`, up to `maximum`: all pages, and past
    /// PagerDuty's 10,000-result ceiling the window split in halves (up to 16 times deep), each
    /// fetched in turn, with incidents seen twice kept once. `note` hears about each split.
    public func listIncidents(
        since: Date?, until: Date?, filters: [(String, String)], maximum: Int, note: (String) -> Void = { _ in }
    ) async throws(PagerDutyError) -> [Value] {
        var seen: Set<String> = []
        var incidents: [Value] = []
        try await fetchIncidents(since: since, until: until, filters: filters, maximum: maximum, note: note, into: &incidents, seen: &seen, depth: 0)
        return incidents
    }

    private func fetchIncidents(
        since: Date?, until: Date?, filters: [(String, String)], maximum: Int, note: (String) -> Void,
        into incidents: inout [Value], seen: inout Set<String>, depth: Int
    ) async throws(PagerDutyError) {
        let request = PagerDutyRequest(method: "GET", path: "/incidents", query: Self.incidentsQuery(since: since, until: until, filters: filters))
        let (items, ceiling) = try await listAll(request, key: "incidents", maximum: maximum - incidents.count)
        if ceiling, depth < 16 {
            let end = until ?? Date()
            let start = since ?? end.addingTimeInterval(-30 * 86_400)
            let middle = start.addingTimeInterval(end.timeIntervalSince(start) / 2)
            note("more than 10,000 incidents in the window; splitting it at \(Date.ISO8601FormatStyle().format(middle))")
            try await fetchIncidents(since: start, until: middle, filters: filters, maximum: maximum, note: note, into: &incidents, seen: &seen, depth: depth + 1)
            if incidents.count < maximum {
                try await fetchIncidents(since: middle, until: end, filters: filters, maximum: maximum, note: note, into: &incidents, seen: &seen, depth: depth + 1)
            }
            return
        }
        for item in items {
            guard let id = item["id"]?.stringValue, !seen.contains(id), incidents.count < maximum else { continue }
            seen.insert(id)
            incidents.append(item)
        }
    }

    /// The incident's id, when `idOrNumber` may be an incident number.
    public func incidentID(_ idOrNumber: String) async throws(PagerDutyError) -> String {
        guard !idOrNumber.isEmpty, idOrNumber.allSatisfy(\.isNumber) else { return idOrNumber }
        let response = try await send(.getIncident(idOrNumber))
        return response.body["incident"]?["id"]?.stringValue ?? idOrNumber
    }
}
