import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-get-user`: read a user by id or email.
public struct GetUser: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-get-user", title: "Get User", summary: "Read a user by id or email.",
        properties: PagerDutyProperties.rest + [
            StepProperty("user_id", title: "User", description: "The user's id.", aliases: ["pd-id"], identifier: .id),
            StepProperty("email", title: "Email", description: "Find the user by email instead."),
        ],
        outputs: UserFields.outputs + [StepOutput("time_zone", "The user's time zone."), StepOutput("teams", "Team ids, comma-separated.")])

    let config: StepConfig

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        if config.string("user_id") == nil && config.string("email") == nil {
            throw StepError.invalid("\(config.step): set 'user_id' or 'email'", property: "user_id")
        }
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let given = config.string("user_id") ?? config.string("email") ?? ""
        guard let id = try await call.userIDs([given], property: config.string("user_id") == nil ? "email" : "user_id").first,
            let response = try await call.send(.getUser(id, include: ["contact_methods"]))
        else { return call.dryRunResult("read user \(given)") }
        var outputs = UserFields.outputs(response.body["user"])
        outputs["time_zone"] = response.body["user"]?["time_zone"]?.text ?? ""
        outputs["teams"] = (response.body["user"]?["teams"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }.joined(separator: ",")
        return StepResult(outputs: outputs, summary: "user \(outputs["name"] ?? "") <\(outputs["email"] ?? "")> is \(outputs["role"] ?? "")", response: response.body)
    }
}
