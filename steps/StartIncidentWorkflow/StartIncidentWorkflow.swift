import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-start-incident-workflow`: start an incident workflow on an incident.
public struct StartIncidentWorkflow: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-start-incident-workflow", aliases: ["pd-start-incident-workflow-step"], title: "Start Incident Workflow",
        summary: "Start an incident workflow on an incident (the successor of response plays).",
        properties: PagerDutyProperties.rest + [
            StepProperty("workflow_id", title: "Incident workflow", description: "The incident workflow's id.", required: true, aliases: ["incident_workflow_id"], identifier: .id),
            IncidentProperties.incidentID,
        ],
        outputs: [StepOutput("instance_id", "The workflow instance's id."), StepOutput("incident_id", "The incident's id.")])

    let config: StepConfig
    let workflow: String
    let incident: String

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        workflow = try config.requiredString("workflow_id")
        incident = try config.requiredString("incident_id")
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let incident = try await call.incidentID(self.incident)
        guard let response = try await call.send(.startWorkflow(workflow, incident: incident)) else {
            return call.dryRunResult("start incident workflow \(workflow) on incident \(incident)")
        }
        let instance = response.body["incident_workflow_instance"]?["id"]?.text ?? ""
        return StepResult(outputs: ["instance_id": instance, "incident_id": incident], summary: "started incident workflow \(workflow) (instance \(instance))", response: response.body)
    }
}
