import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-list-incident-alerts`: the alerts of incidents, with their dedup keys.
public struct ListIncidentAlerts: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-list-incident-alerts", title: "List Incident Alerts",
        summary: "The alerts of one or more incidents, with their dedup keys (SOAR's Get Incident Alerts).",
        properties: PagerDutyProperties.rest + [
            StepProperty("incident_ids", title: "Incidents", description: "Comma-separated incident ids or numbers.", kind: .list, required: true, aliases: ["incident_id"], identifier: .id),
        ],
        outputs: [
            StepOutput("alert_ids", "The alerts' ids, comma-separated."), StepOutput("dedup_keys", "Their dedup keys (alert keys), comma-separated."),
            StepOutput("count", "How many alerts."),
        ])

    let config: StepConfig
    let incidents: [String]

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        incidents = try config.requiredList("incident_ids")
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        var alerts: [Value] = []
        for given in incidents {
            let id = try await call.incidentID(given)
            if context.dryRun {
                _ = try await call.send(.incidentAlerts(id))
                continue
            }
            let client = call.client
            let (items, _) = try await callPagerDuty { () throws(PagerDutyError) in try await client.listAll(.incidentAlerts(id), key: "alerts") }
            alerts += items
        }
        if context.dryRun { return call.dryRunResult("list the alerts of \(incidents.joined(separator: ", "))") }
        let outputs = [
            "alert_ids": alerts.compactMap { $0["id"]?.stringValue }.joined(separator: ","),
            "dedup_keys": alerts.compactMap { $0["alert_key"]?.stringValue }.joined(separator: ","),
            "count": String(alerts.count),
        ]
        return StepResult(outputs: outputs, summary: "\(alerts.count) alert\(alerts.count == 1 ? "" : "s")", response: .object(ValueObject([("alerts", .array(alerts))])))
    }
}
