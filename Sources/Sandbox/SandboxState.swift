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

/// Everything the emulated account holds, seeded with demo data. Mutated under the sandbox's
/// lock only.
struct SandboxState {
    static let subdomain = "sandbox"
    static let accountAPIKey = "sandbox-account-api-key-00000000"
    static let userAPIKey = "sandbox-user-api-key-alice-000000"
    static let integrationKey = "sandboxcheckoutintegration000001"
    static let secondIntegrationKey = "sandboxpaymentsintegration000002"
    static let oauthClientID = "sandbox-oauth-client"
    static let oauthClientSecret = "sandbox-oauth-secret-000000000000"
    static let fromEmail = "alice@example.com"

    var baseURL = "http://127.0.0.1"
    var users: [SandboxUser] = []
    var teams: [SandboxTeam] = []
    var services: [SandboxService] = []
    var policies: [SandboxEscalationPolicy] = []
    var schedules: [SandboxSchedule] = []
    var abilities = ["teams", "urgencies", "coordinated_responding", "read_only_users", "incident_workflows", "advanced_permissions"]
    var workflows: [(id: String, name: String)] = [("PWF0001", "Major incident: open a bridge and notify stakeholders")]
    var incidents: [SandboxIncident] = []
    var alerts: [SandboxAlert] = []
    /// Where each incident and alert is, by id, and the alerts of each routing key and dedup
    /// key: incidents and alerts are only ever appended (and all cleared by a reset), so these
    /// stay true, and no lookup scans tens of thousands of records.
    var incidentPositions: [String: Int] = [:]
    var alertPositions: [String: Int] = [:]
    var alertsByKey: [String: [Int]] = [:]
    var changeEvents: [Value] = []
    /// Webhook subscriptions, each with its secret, and the events the last request queued.
    var webhookSubscriptions: [(subscription: ValueObject, secret: String)] = []
    var webhookOutbox: [WebhookEvent] = []
    var oauthTokens: [String: Double] = [:]
    var counter = 0

    init() {
        teams = [SandboxTeam(id: "PTEAM01", name: "Checkout"), SandboxTeam(id: "PTEAM02", name: "Payments")]
        func email(_ address: String) -> Value {
            ["type": "email_contact_method", "id": .string("PCM" + address.prefix(3).uppercased()), "label": "Work", "address": .string(address), "summary": "Work"]
        }
        users = [
            SandboxUser(id: "PUSR001", name: "Alice Admin", email: "alice@example.com", role: "admin", color: "purple", timeZone: "Europe/Berlin", jobTitle: "SRE lead", description: "On call for checkout", teamIDs: ["PTEAM01"], contactMethods: [email("alice@example.com"), ["type": "phone_contact_method", "id": "PCMALP", "label": "Mobile", "address": "15555550101", "country_code": 1, "summary": "Mobile"]]),
            SandboxUser(id: "PUSR002", name: "Bob Responder", email: "bob@example.com", role: "user", color: "green", timeZone: "America/New_York", jobTitle: "Engineer", description: "", teamIDs: ["PTEAM01"], contactMethods: [email("bob@example.com"), ["type": "sms_contact_method", "id": "PCMBOS", "label": "Mobile", "address": "15555550102", "country_code": 1, "summary": "Mobile"]]),
            SandboxUser(id: "PUSR003", name: "Carol Payments", email: "carol@example.com", role: "limited_user", color: "red", timeZone: "Asia/Tokyo", jobTitle: "Engineer", description: "", teamIDs: ["PTEAM02"], contactMethods: [email("carol@example.com")]),
            SandboxUser(id: "PUSR004", name: "Dan Observer", email: "dan@example.com", role: "observer", color: "blue", timeZone: "UTC", jobTitle: "Manager", description: "", teamIDs: [], contactMethods: [email("dan@example.com")]),
        ]
        schedules = [
            SandboxSchedule(id: "PSCHED1", name: "Checkout primary", description: "Weekly rotation for checkout", timeZone: "Europe/Berlin", layers: [("Weekly", 604_800, "2026-01-05T09:00:00+01:00", ["PUSR001", "PUSR002"])], teamIDs: ["PTEAM01"]),
            SandboxSchedule(id: "PSCHED2", name: "Payments follow-the-sun", description: "", timeZone: "Asia/Tokyo", layers: [("Day", 86_400, "2026-01-05T09:00:00+09:00", ["PUSR003"]), ("Night", 86_400, "2026-01-05T21:00:00+09:00", ["PUSR002"])], teamIDs: ["PTEAM02", "PTEAM01"]),
        ]
        policies = [
            SandboxEscalationPolicy(id: "PEP0001", name: "Checkout escalation", description: "Page the checkout schedule, then Alice", numLoops: 2, onCallHandoffNotifications: "if_has_services", rules: [(30, [("schedule_reference", "PSCHED1")]), (15, [("user_reference", "PUSR001")])], teamIDs: ["PTEAM01"]),
            SandboxEscalationPolicy(id: "PEP0002", name: "Payments escalation", description: "", numLoops: 0, onCallHandoffNotifications: "always", rules: [(10, [("schedule_reference", "PSCHED2"), ("user_reference", "PUSR003")])], teamIDs: ["PTEAM02"]),
        ]
        services = [
            SandboxService(id: "PSVC001", name: "Checkout API", integrationKey: Self.integrationKey, escalationPolicyID: "PEP0001", teamIDs: ["PTEAM01"]),
            SandboxService(id: "PSVC002", name: "Payments", integrationKey: Self.secondIntegrationKey, escalationPolicyID: "PEP0002", teamIDs: ["PTEAM02"]),
        ]
    }

    // MARK: Ids and time

    mutating func nextID(_ prefix: String) -> String {
        counter += 1
        return prefix + Text.padded(counter, width: 5)
    }

    static func now() -> String {
        Date.ISO8601FormatStyle().format(Date())
    }

    // MARK: References and JSON

    func reference(_ type: String, _ id: String, summary: String, path: String) -> Value {
        [
            "id": .string(id), "type": .string(type + "_reference"), "summary": .string(summary),
            "self": .string("\(baseURL)/\(path)/\(id)"), "html_url": .string("\(baseURL)/\(path)/\(id)"),
        ]
    }

    func userReference(_ id: String) -> Value {
        reference("user", id, summary: users.first { $0.id == id }?.name ?? id, path: "users")
    }

    func teamReference(_ id: String) -> Value {
        reference("team", id, summary: teams.first { $0.id == id }?.name ?? id, path: "teams")
    }

    func user(_ user: SandboxUser, include: [String] = []) -> Value {
        var object = ValueObject([
            ("id", .string(user.id)), ("type", "user"), ("name", .string(user.name)), ("summary", .string(user.name)),
            ("email", .string(user.email)), ("role", .string(user.role)), ("color", .string(user.color)),
            ("time_zone", .string(user.timeZone)), ("job_title", .string(user.jobTitle)), ("description", .string(user.description)),
            ("invitation_sent", false), ("html_url", .string("\(baseURL)/users/\(user.id)")), ("self", .string("\(baseURL)/users/\(user.id)")),
            ("teams", .array(user.teamIDs.map(teamReference))),
            ("avatar_url", .string("\(baseURL)/avatars/\(user.id).png")), ("notification_rules", .array([])),
        ])
        object["contact_methods"] = include.contains("contact_methods")
            ? .array(user.contactMethods)
            : .array(user.contactMethods.map { method in reference(method["type"]?.text ?? "contact_method", method["id"]?.text ?? "", summary: method["summary"]?.text ?? "", path: "users/\(user.id)/contact_methods") })
        return .object(object)
    }

    /// A log entry as PagerDuty writes one (`trigger_log_entry`, ...), with a stable id.
    func logEntry(_ entry: SandboxLogEntry, of incident: SandboxIncident, at index: Int) -> Value {
        let id = "R\(incident.id.dropFirst(4))L\(index + 1)"
        return [
            "id": .string(id), "type": .string(entry.type), "summary": .string(entry.summary), "created_at": .string(entry.createdAt),
            "self": .string("\(baseURL)/log_entries/\(id)"), "html_url": .string("\(baseURL)/incidents/\(incident.id)/log_entries/\(id)"),
            "incident": reference("incident", incident.id, summary: incident.title, path: "incidents"),
        ]
    }

    func incident(_ incident: SandboxIncident, include: [String] = []) -> Value {
        let service = services.first { $0.id == incident.serviceID }
        let policy = policies.first { $0.id == incident.escalationPolicyID }
        let incidentAlerts = alerts(of: incident)
        var object = ValueObject([
            ("id", .string(incident.id)), ("type", "incident"), ("summary", .string("[#\(incident.number)] \(incident.title)")),
            ("incident_number", .int(incident.number)), ("title", .string(incident.title)),
            ("status", .string(incident.status)), ("urgency", .string(incident.urgency)),
            ("incident_key", incident.incidentKey.map(Value.string) ?? .null), ("created_at", .string(incident.createdAt)),
            ("updated_at", .string(incident.updatedAt)), ("last_status_change_at", .string(incident.updatedAt)),
            ("html_url", .string("\(baseURL)/incidents/\(incident.id)")), ("self", .string("\(baseURL)/incidents/\(incident.id)")),
            ("service", reference("service", incident.serviceID, summary: service?.name ?? "", path: "services")),
            ("escalation_policy", reference("escalation_policy", incident.escalationPolicyID, summary: policy?.name ?? "", path: "escalation_policies")),
            ("assignments", .array(incident.assigneeIDs.map { ["at": .string(incident.updatedAt), "assignee": userReference($0)] })),
            ("acknowledgements", .array([])),
            ("teams", .array((service?.teamIDs ?? []).map(teamReference))),
            ("alert_counts", [
                "all": .int(incidentAlerts.count), "triggered": .int(incidentAlerts.filter { $0.status == "triggered" }.count),
                "resolved": .int(incidentAlerts.filter { $0.status == "resolved" }.count),
            ]),
        ])
        // What PagerDuty's examples carry: how it was assigned, its type, who last changed its
        // status (the service, for an event), its first trigger (a reference, or the entry itself
        // with include[]=first_trigger_log_entries), and no pending actions.
        object["assigned_via"] = "escalation_policy"
        object["incident_type"] = ["name": "incident_default"]
        object["pending_actions"] = .array([])
        object["last_status_change_by"] = reference("service", incident.serviceID, summary: service?.name ?? "", path: "services")
        if let first = incident.logEntries.first {
            var entry = logEntry(first, of: incident, at: 0).objectValue ?? ValueObject()
            if !include.contains("first_trigger_log_entries") {
                entry = ValueObject(entry.entries.filter { ["id", "summary", "self", "html_url"].contains($0.key) }.map { ($0.key, $0.value) })
                entry["type"] = "trigger_log_entry_reference"
            }
            object["first_trigger_log_entry"] = .object(entry)
        }
        // Fields the schema types as strings or objects are left out rather than sent as null
        // (the sandbox has no priorities: PagerDuty leaves priority out of its examples then).
        if let resolved = incident.resolvedAt { object["resolved_at"] = .string(resolved) }
        if incident.status == "acknowledged" {
            object["acknowledgements"] = .array(incident.assigneeIDs.map { ["at": .string(incident.updatedAt), "acknowledger": userReference($0)] })
        }
        return .object(object)
    }

    func alert(_ alert: SandboxAlert) -> Value {
        let incident = incidentPositions[alert.incidentID].map { incidents[$0] }
        let service = services.first { $0.integrationKey == alert.routingKey }
        return [
            "id": .string(alert.id), "type": "alert", "summary": .string(alert.summary), "status": .string(alert.status),
            "alert_key": .string(alert.dedupKey), "severity": .string(alert.severity), "suppressed": false,
            "created_at": .string(alert.createdAt),
            "html_url": .string("\(baseURL)/alerts/\(alert.id)"), "self": .string("\(baseURL)/alerts/\(alert.id)"),
            "service": reference("service", service?.id ?? "", summary: service?.name ?? "", path: "services"),
            "incident": reference("incident", alert.incidentID, summary: incident?.title ?? "", path: "incidents"),
            "integration": [
                "id": .string("PINT\(service?.id.suffix(3) ?? "000")"), "type": "events_api_v2_inbound_integration_reference", "summary": "Events API v2",
                "self": .string("\(baseURL)/services/\(service?.id ?? "")/integrations/PINT\(service?.id.suffix(3) ?? "000")"),
                "html_url": .string("\(baseURL)/services/\(service?.id ?? "")/integrations/PINT\(service?.id.suffix(3) ?? "000")"),
            ],
            "body": ["type": "alert_body", "contexts": [], "details": alert.payload["custom_details"].flatMap { $0.isNull ? nil : $0 } ?? .object(ValueObject())],
        ]
    }

    func escalationPolicy(_ policy: SandboxEscalationPolicy) -> Value {
        let rules: [Value] = policy.rules.enumerated().map { index, rule in
            [
                "id": .string("PRULE\(policy.id.suffix(2))\(index + 1)"), "escalation_delay_in_minutes": .int(rule.delay),
                "targets": .array(rule.targets.map { target in
                    target.type == "user_reference"
                        ? userReference(target.id)
                        : reference("schedule", target.id, summary: schedules.first { $0.id == target.id }?.name ?? "", path: "schedules")
                }),
            ]
        }
        return [
            "id": .string(policy.id), "type": "escalation_policy", "name": .string(policy.name), "summary": .string(policy.name),
            "description": .string(policy.description), "num_loops": .int(policy.numLoops),
            "on_call_handoff_notifications": .string(policy.onCallHandoffNotifications), "escalation_rules": .array(rules),
            "services": .array(services.filter { $0.escalationPolicyID == policy.id }.map { reference("service", $0.id, summary: $0.name, path: "services") }),
            "teams": .array(policy.teamIDs.map(teamReference)),
            "html_url": .string("\(baseURL)/escalation_policies/\(policy.id)"), "self": .string("\(baseURL)/escalation_policies/\(policy.id)"),
        ]
    }

    func schedule(_ schedule: SandboxSchedule) -> Value {
        let layers: [Value] = schedule.layers.enumerated().map { index, layer in
            [
                "id": .string("PLAYER\(schedule.id.suffix(1))\(index + 1)"), "name": .string(layer.name), "start": .string(layer.start),
                "rotation_virtual_start": .string(layer.start), "rotation_turn_length_seconds": .int(layer.turnSeconds),
                "users": .array(layer.users.map { ["user": userReference($0)] }),
            ]
        }
        let userIDs = schedule.layers.flatMap(\.users).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return [
            "id": .string(schedule.id), "type": "schedule", "name": .string(schedule.name), "summary": .string(schedule.name),
            "description": .string(schedule.description), "time_zone": .string(schedule.timeZone),
            "html_url": .string("\(baseURL)/schedules/\(schedule.id)"), "self": .string("\(baseURL)/schedules/\(schedule.id)"),
            "users": .array(userIDs.map(userReference)), "teams": .array(schedule.teamIDs.map(teamReference)),
            "escalation_policies": .array(policies.filter { $0.rules.contains { $0.targets.contains { $0.id == schedule.id } } }.map {
                reference("escalation_policy", $0.id, summary: $0.name, path: "escalation_policies")
            }),
            "schedule_layers": .array(layers),
        ]
    }
}

extension SandboxState {
    /// Appends an incident and its first alert, keeping the indexes.
    mutating func add(_ incident: SandboxIncident, _ alert: SandboxAlert) {
        alertPositions[alert.id] = alerts.count
        alertsByKey[Self.alertKey(alert.routingKey, alert.dedupKey), default: []].append(alerts.count)
        alerts.append(alert)
        incidentPositions[incident.id] = incidents.count
        incidents.append(incident)
    }

    static func alertKey(_ routingKey: String, _ dedupKey: String) -> String { routingKey + "\u{0}" + dedupKey }

    /// The open (triggered) alert with this routing key and dedup key.
    func openAlert(routingKey: String, dedupKey: String) -> Int? {
        alertsByKey[Self.alertKey(routingKey, dedupKey)]?.first { alerts[$0].status == "triggered" }
    }

    /// An incident's alerts, in order.
    func alerts(of incident: SandboxIncident) -> [SandboxAlert] {
        incident.alertIDs.compactMap { alertPositions[$0].map { alerts[$0] } }
    }
}
