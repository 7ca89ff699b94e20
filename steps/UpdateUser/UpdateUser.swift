import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-update-user`: change a user's fields (only those given are sent).
public struct UpdateUser: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-update-user", title: "Update User", summary: "Change a user's name, email, role, color, title, description or time zone.",
        details: "Only the given fields change. PagerDuty's schema asks for name and email in every update, so the step reads the user first and sends their current name and email along when they are not being changed.",
        properties: PagerDutyProperties.rest + [
            StepProperty("user_id", title: "User", description: "The user's id (or email).", required: true, aliases: ["pd-id"], identifier: .idOrEmail),
        ] + UserFields.properties(nameRequired: false),
        outputs: UserFields.outputs,
        example: ["user_id": "PABC123", "title": "SRE"])

    let config: StepConfig
    let user: String

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        user = try config.requiredString("user_id")
        if UserFields.fields(config).isEmpty {
            throw StepError.invalid("\(config.step): nothing to change; set one of name, email, role, color, title, description, time_zone", property: "name")
        }
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        guard let id = try await call.userIDs([user], property: "user_id").first else { throw StepError.invalid("no user", property: "user_id") }
        var fields = UserFields.fields(config)
        let changed = fields.keys.joined(separator: ", ")
        // PagerDuty's schema requires name and email in every update; the current values are
        // sent for those not being changed, so they stay as they are.
        if fields["name"] == nil || fields["email"] == nil {
            if let current = try await call.send(.getUser(id))?.body["user"] {
                if fields["name"] == nil { fields["name"] = current["name"] }
                if fields["email"] == nil { fields["email"] = current["email"] }
            } else {
                if fields["name"] == nil { fields["name"] = "<current name>" }
                if fields["email"] == nil { fields["email"] = "<current email>" }
            }
        }
        guard let response = try await call.send(.updateUser(id, fields: fields)) else {
            return call.dryRunResult("update user \(id) (\(changed))")
        }
        return StepResult(outputs: UserFields.outputs(response.body["user"]), summary: "updated user \(id) (\(changed))", response: response.body)
    }
}
