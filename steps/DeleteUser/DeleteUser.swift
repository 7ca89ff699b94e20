import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-delete-user`: remove a user from the account.
public struct DeleteUser: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-delete-user", title: "Delete User", summary: "Remove a user from the account.",
        details: "PagerDuty refuses while the user still has open incidents assigned; the step says so, with PagerDuty's reason.",
        properties: PagerDutyProperties.rest + [
            StepProperty("user_id", title: "User", description: "The user's id (or email).", required: true, aliases: ["pd-id"], identifier: .idOrEmail),
        ],
        outputs: [StepOutput("user_id", "The deleted user's id.")])

    let config: StepConfig
    let user: String

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        user = try config.requiredString("user_id")
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        guard let id = try await call.userIDs([user], property: "user_id").first else { throw StepError.invalid("no user", property: "user_id") }
        do {
            guard try await call.send(.deleteUser(id)) != nil else { return call.dryRunResult("delete user \(id)") }
        } catch where error.httpStatus == 400 && (error.details.joined() + error.message).lowercased().contains("incident") {
            // PagerDuty's message first (with its errors[] kept as details), then what to do.
            var refused = error
            refused.message = error.message + "; the user \(id) still has open incidents assigned: resolve or reassign them first"
            throw refused
        }
        return StepResult(outputs: ["user_id": id], summary: "deleted user \(id)")
    }
}
