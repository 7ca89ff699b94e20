import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-add-responders`: ask more people (or escalation policies) to join an incident.
public struct AddResponders: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-add-responders", aliases: ["pagerduty-add-additional-responders"], title: "Add Responders",
        summary: "Ask users or escalation policies to join an incident (needs the coordinated_responding ability).",
        properties: PagerDutyProperties.rest + [
            IncidentProperties.incidentID,
            StepProperty("users", title: "Users", description: "Comma-separated user ids or emails.", kind: .list, aliases: ["user"], identifier: .idOrEmail),
            StepProperty("escalation_policies", title: "Escalation policies", description: "Comma-separated escalation policy ids.", kind: .list, aliases: ["escalation-policy"], identifier: .id),
            StepProperty("message", title: "Message", description: "Why they are asked to join.", kind: .text, required: true),
            StepProperty("requester", title: "Requester", description: "Who asks (user id or email). Default: the from_email user.", aliases: ["requester_id"], identifier: .idOrEmail),
            PagerDutyProperties.fromEmail.without(aliases: ["requester"]),
        ],
        outputs: [StepOutput("incident_id", "The incident's id."), StepOutput("responders", "The requested targets, comma-separated.")],
        example: ["incident_id": "PABC123", "message": "please join the bridge", "users": "PUSR002"])

    let config: StepConfig
    let incident: String
    let message: String
    let users: [String]
    let policies: [String]

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        incident = try config.requiredString("incident_id")
        message = try config.requiredString("message")
        users = try config.list("users")
        policies = try config.list("escalation_policies")
        if users.isEmpty && policies.isEmpty {
            throw StepError.invalid("\(config.step): name at least one responder in 'users' or 'escalation_policies'", property: "users")
        }
        if config.string("requester") == nil && config.string("from_email") == nil {
            throw config.invalid("requester", "is required (a user id or email), or set from_email")
        }
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let incident = try await call.incidentID(self.incident)
        let users = try await call.userIDs(self.users, property: "users")
        let requesterText = config.string("requester") ?? config.string("from_email") ?? ""
        guard let requester = try await call.userIDs([requesterText], property: "requester").first else {
            throw config.invalid("requester", "is required")
        }
        let request = PagerDutyRequest.responderRequest(incident: incident, requesterID: requester, message: message, userIDs: users, policyIDs: policies)
        let targets = (users + policies).joined(separator: ",")
        guard let response = try await call.send(request) else {
            return call.dryRunResult("ask \(targets) to join incident \(incident)")
        }
        return StepResult(outputs: ["incident_id": incident, "responders": targets], summary: "asked \(targets) to join incident \(incident)", response: response.body)
    }
}
