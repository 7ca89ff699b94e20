import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-run-response-play`: run a response play on an incident. PagerDuty retired
/// response plays (replaced by incident workflows); the step stays so old jobs explain
/// themselves.
public struct RunResponsePlay: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-run-response-play", aliases: ["pd-run-response-play-step"], title: "Run Response Play (retired)",
        summary: "Run a response play on an incident. Retired by PagerDuty: use pagerduty-start-incident-workflow.",
        details: "PagerDuty removed response plays in 2025 and replaced them with incident workflows. When the API answers 404 or 410, the step fails and says so; move the job to pagerduty-start-incident-workflow.",
        properties: PagerDutyProperties.rest + [
            StepProperty("response_play_id", title: "Response play", description: "The response play's id.", required: true),
            IncidentProperties.incidentID,
            PagerDutyProperties.fromEmail,
        ],
        outputs: [StepOutput("status", "PagerDuty's answer.")])

    let config: StepConfig
    let play: String
    let incident: String

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        play = try config.requiredString("response_play_id")
        incident = try config.requiredString("incident_id")
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let incident = try await call.incidentID(self.incident)
        context.log(.warn, "response plays are retired by PagerDuty; pagerduty-start-incident-workflow replaces this step")
        do {
            guard let response = try await call.send(.runResponsePlay(play, incident: incident)) else {
                return call.dryRunResult("run response play \(play) on incident \(incident)")
            }
            return StepResult(outputs: ["status": response.body["status"]?.text ?? "ok"], summary: "ran response play \(play)", response: response.body)
        } catch where error.httpStatus == 404 || error.httpStatus == 410 {
            var retired = error
            retired.message = "PagerDuty has retired response plays (HTTP \(error.httpStatus ?? 404) for response play \(play)); use the step pagerduty-start-incident-workflow with an incident workflow instead"
            throw retired
        }
    }
}
