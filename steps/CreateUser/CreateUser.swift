import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-create-user`: add a user to the account.
public struct CreateUser: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-create-user", title: "Create User", summary: "Add a user to the PagerDuty account.",
        properties: PagerDutyProperties.rest + UserFields.properties(nameRequired: true) + [PagerDutyProperties.fromEmail.without(aliases: ["email"])],
        outputs: UserFields.outputs,
        example: ["name": "Ada Lovelace", "email": "ada@example.com"])

    let config: StepConfig

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        let name = try config.requiredString("name")
        if name.count > 100 { throw config.invalid("name", "may be at most 100 characters") }
        let email = try config.requiredString("email")
        if !email.contains("@") { throw config.invalid("email", "is not an email address: '\(email)'") }
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        guard let response = try await call.send(.createUser(UserFields.fields(config))) else {
            return call.dryRunResult("create the user \(config.string("email") ?? "")")
        }
        let outputs = UserFields.outputs(response.body["user"])
        return StepResult(outputs: outputs, summary: "created user \(outputs["user_id"] ?? "") (\(outputs["email"] ?? ""))", response: response.body)
    }
}
