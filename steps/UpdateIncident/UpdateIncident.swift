import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-update-incident`: change an incident's status, assignees, title, urgency or level.
public struct UpdateIncident: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-update-incident", aliases: ["pd-update-incident-step"], title: "Update Incident",
        summary: "Change an incident's status, resolution, assignees, title, urgency or escalation level.",
        properties: PagerDutyProperties.rest + [
            IncidentProperties.incidentID,
            StepProperty("status", title: "Status", description: "acknowledged, resolved or triggered (triggered reopens).", kind: .select(["acknowledged", "resolved", "triggered"])),
            StepProperty("resolution", title: "Resolution", description: "How it was resolved; only with status resolved.", kind: .text),
            StepProperty("assignees", title: "Assignees", description: "Comma-separated user ids or emails; emails are looked up.", kind: .list, identifier: .idOrEmail),
            StepProperty("title", title: "Title", description: "A new title."),
            StepProperty("urgency", title: "Urgency", description: "high or low.", kind: .select(["high", "low"])),
            StepProperty("escalation_level", title: "Escalation level", description: "Escalate to this level.", kind: .integer),
            PagerDutyProperties.fromEmail,
        ],
        outputs: IncidentOutputs.descriptors,
        example: ["incident_id": "PABC123", "status": "acknowledged"])

    let config: StepConfig
    let incident: String
    let level: Int?

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        incident = try config.requiredString("incident_id")
        if config.string("resolution") != nil && config.string("status") != "resolved" {
            throw config.invalid("resolution", "is only used with status resolved")
        }
        let fields = ["status", "resolution", "assignees", "title", "urgency", "escalation_level"]
        if fields.allSatisfy({ config.string($0) == nil }) {
            throw StepError.invalid("\(config.step): nothing to change; set one of \(fields.joined(separator: ", "))", property: "status")
        }
        level = try config.int("escalation_level")
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let incident = try await call.incidentID(self.incident)
        var fields = ValueObject()
        for name in ["status", "resolution", "title", "urgency"] {
            if let value = config.string(name) { fields[name] = .string(value) }
        }
        if let level { fields["escalation_level"] = .int(level) }
        let assignees = try await call.userIDs(try config.list("assignees"), property: "assignees")
        if !assignees.isEmpty {
            fields["assignments"] = .array(assignees.map { ["assignee": ["id": .string($0), "type": "user_reference"]] })
        }
        let changed = fields.keys.joined(separator: ", ")
        guard let response = try await call.send(.updateIncident(incident, fields: fields)) else {
            return call.dryRunResult("update incident \(incident) (\(changed))")
        }
        return StepResult(outputs: IncidentOutputs.of(response.body["incident"]), summary: "updated incident \(incident) (\(changed))", response: response.body)
    }
}
