import PagerDutyStepKit
import StepKit

/// `pagerduty-list-users`: every user, optionally by name and team.
public struct ListUsers: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-list-users", title: "List Users", summary: "List users (all pages), optionally by name query and teams.",
        properties: PagerDutyProperties.rest + DirectoryListing.properties,
        outputs: DirectoryListing.outputs + [StepOutput("emails", "Their emails, comma-separated.")])

    let config: StepConfig
    public init(config: StepConfig) throws(StepError) { self.config = config }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        var result = try await DirectoryListing.run("/users", key: "users", noun: "user", config: config, context: context)
        result.outputs["emails"] = (result.response?["users"]?.arrayValue ?? []).compactMap { $0["email"]?.stringValue }.joined(separator: ",")
        return result
    }
}
