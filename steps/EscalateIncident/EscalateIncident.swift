import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-escalate-incident`: escalate an incident to a level of its escalation policy.
public struct EscalateIncident: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-escalate-incident", aliases: ["pd-escalate-incident-step"], title: "Escalate Incident",
        summary: "Escalate an incident to a level of its escalation policy.",
        properties: PagerDutyProperties.rest + [
            IncidentProperties.incidentID,
            StepProperty("escalation_level", title: "Escalation level", description: "The level to escalate to (1 is the first rule).", kind: .integer, required: true),
            PagerDutyProperties.fromEmail,
        ],
        outputs: IncidentOutputs.descriptors + [StepOutput("escalation_level", "The level the incident is now at.")])

    let config: StepConfig
    let incident: String
    let level: Int

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        incident = try config.requiredString("incident_id")
        guard let level = try config.int("escalation_level"), level >= 1 else {
            throw config.invalid("escalation_level", "must be 1 or more")
        }
        self.level = level
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let incident = try await call.incidentID(self.incident)
        guard let response = try await call.send(.updateIncident(incident, fields: ValueObject([("escalation_level", .int(level))]))) else {
            return call.dryRunResult("escalate incident \(incident) to level \(level)")
        }
        var outputs = IncidentOutputs.of(response.body["incident"])
        outputs["escalation_level"] = String(level)
        return StepResult(outputs: outputs, summary: "escalated incident \(incident) to level \(level)", response: response.body)
    }
}
