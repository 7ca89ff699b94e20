import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-get-incident`: read an incident, for later steps to use.
public struct GetIncident: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-get-incident", title: "Get Incident",
        summary: "Read an incident: status, title, urgency, service, escalation policy, assignees, link.",
        properties: PagerDutyProperties.rest + [
            IncidentProperties.incidentID,
            StepProperty("include_first_trigger_log_entry", title: "Include first trigger log entry", description: "Also fetch the log entry that opened it.", kind: .boolean, default: "false", aliases: ["includeFirstTriggerLogEntry"]),
        ],
        outputs: IncidentOutputs.descriptors + [
            StepOutput("title", "The title."), StepOutput("urgency", "high or low."),
            StepOutput("service_id", "The service's id."), StepOutput("service_name", "The service's name."),
            StepOutput("escalation_policy_id", "The escalation policy's id."), StepOutput("escalation_policy_name", "Its name."),
            StepOutput("assignees", "Assigned user ids, comma-separated."), StepOutput("assignee_names", "Their names, comma-separated."),
            StepOutput("incident_key", "The incident key (the dedup key of an incident opened by an event)."),
        ])

    let config: StepConfig
    let id: String
    let include: [String]

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        id = try config.requiredString("incident_id")
        include = try config.bool("include_first_trigger_log_entry") == true ? ["first_trigger_log_entries"] : []
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        guard let response = try await call.send(.getIncident(id, include: include)), let incident = response.body["incident"] else {
            return call.dryRunResult("read incident \(id)")
        }
        var outputs = IncidentOutputs.of(incident)
        outputs["title"] = incident["title"]?.text ?? ""
        outputs["urgency"] = incident["urgency"]?.text ?? ""
        outputs["service_id"] = incident["service"]?["id"]?.text ?? ""
        outputs["service_name"] = incident["service"]?["summary"]?.text ?? ""
        outputs["escalation_policy_id"] = incident["escalation_policy"]?["id"]?.text ?? ""
        outputs["escalation_policy_name"] = incident["escalation_policy"]?["summary"]?.text ?? ""
        let assignees = incident["assignments"]?.arrayValue ?? []
        outputs["assignees"] = assignees.compactMap { $0["assignee"]?["id"]?.stringValue }.joined(separator: ",")
        outputs["assignee_names"] = assignees.compactMap { $0["assignee"]?["summary"]?.stringValue }.joined(separator: ",")
        outputs["incident_key"] = incident["incident_key"]?.text ?? ""
        return StepResult(outputs: outputs, summary: "incident #\(outputs["incident_number"] ?? "") \(outputs["title"] ?? "") is \(outputs["status"] ?? "")", response: response.body)
    }
}
