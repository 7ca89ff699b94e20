import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-incident-note`: add a note to an incident.
public struct IncidentNote: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-incident-note", aliases: ["pd-note-step"], title: "Incident Note",
        summary: "Add a note to an incident (shown in its timeline).",
        properties: PagerDutyProperties.rest + [
            IncidentProperties.incidentID,
            StepProperty("note", title: "Note", description: "The note's text.", kind: .text, required: true, aliases: ["content"]),
            PagerDutyProperties.fromEmail,
        ],
        outputs: [StepOutput("note_id", "The new note's id."), StepOutput("incident_id", "The incident's id.")])

    let config: StepConfig
    let incident: String
    let note: String

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        incident = try config.requiredString("incident_id")
        note = try config.requiredString("note")
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let incident = try await call.incidentID(self.incident)
        guard let response = try await call.send(.addNote(incident: incident, content: note)) else {
            return call.dryRunResult("add a note to incident \(incident)")
        }
        let id = response.body["note"]?["id"]?.text ?? ""
        return StepResult(outputs: ["note_id": id, "incident_id": incident], summary: "added note \(id) to incident \(incident)", response: response.body)
    }
}
