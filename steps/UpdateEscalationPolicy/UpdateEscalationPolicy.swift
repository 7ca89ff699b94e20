import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-update-escalation-policy`: move an incident to another escalation policy.
public struct UpdateEscalationPolicy: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-update-escalation-policy", aliases: ["pagerduty-update-escalation"], title: "Update Escalation Policy",
        summary: "Move an incident to another escalation policy (it restarts at level 1).",
        properties: PagerDutyProperties.rest + [
            IncidentProperties.incidentID,
            StepProperty("escalation_policy_id", title: "Escalation policy", description: "The escalation policy's id.", required: true, aliases: ["escalation-policy"], identifier: .id),
            PagerDutyProperties.fromEmail,
        ],
        outputs: IncidentOutputs.descriptors)

    let config: StepConfig
    let incident: String
    let policy: String

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        incident = try config.requiredString("incident_id")
        policy = try config.requiredString("escalation_policy_id")
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let incident = try await call.incidentID(self.incident)
        let fields = ValueObject([("escalation_policy", ["id": .string(policy), "type": "escalation_policy_reference"])])
        guard let response = try await call.send(.updateIncident(incident, fields: fields)) else {
            return call.dryRunResult("move incident \(incident) to escalation policy \(policy)")
        }
        return StepResult(outputs: IncidentOutputs.of(response.body["incident"]), summary: "moved incident \(incident) to escalation policy \(policy)", response: response.body)
    }
}
