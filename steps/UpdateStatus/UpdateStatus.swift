import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-update-status`: acknowledge or resolve an incident, and/or post a status update.
public struct UpdateStatus: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-update-status", aliases: ["pd-status-update-step"], title: "Update Status",
        summary: "Acknowledge or resolve an incident, and post a status update message.",
        details: "With status, the incident is acknowledged or resolved; with message, the message is posted as a status update (sent to the incident's subscribers). At least one of the two is needed.",
        properties: PagerDutyProperties.rest + [
            IncidentProperties.incidentID,
            StepProperty("status", title: "Status", description: "acknowledged or resolved.", kind: .select(["acknowledged", "resolved"])),
            StepProperty("message", title: "Message", description: "A status update to post.", kind: .text),
            PagerDutyProperties.fromEmail,
        ],
        outputs: IncidentOutputs.descriptors + [StepOutput("status_update_id", "The status update's id, when a message was posted.")],
        example: ["incident_id": "PABC123", "status": "acknowledged"])

    let config: StepConfig
    let incident: String

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        incident = try config.requiredString("incident_id")
        if config.string("status") == nil && config.string("message") == nil {
            throw StepError.invalid("\(config.step): set 'status' (acknowledged or resolved), 'message', or both", property: "status")
        }
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let incident = try await call.incidentID(self.incident)
        var outputs: [String: String] = ["incident_id": incident]
        var planned: [String] = []
        var done: [String] = []
        var last: Value?
        if let status = config.string("status") {
            let response = try await call.send(.updateIncident(incident, fields: ValueObject([("status", .string(status))])))
            outputs.merge(IncidentOutputs.of(response?.body["incident"])) { $1 }
            last = response?.body
            planned.append(status == "resolved" ? "resolve" : "acknowledge")
            done.append(status)
        }
        if let message = config.string("message") {
            let response = try await call.send(.statusUpdate(incident: incident, message: message))
            if let id = response?.body["status_update"]?["id"]?.text { outputs["status_update_id"] = id }
            last = response?.body ?? last
            planned.append("post a status update")
            done.append("posted a status update")
        }
        if context.dryRun { return call.dryRunResult(planned.joined(separator: " and ") + " on incident \(incident)", outputs: outputs) }
        return StepResult(outputs: outputs, summary: "incident \(incident): " + done.joined(separator: ", "), response: last)
    }
}
