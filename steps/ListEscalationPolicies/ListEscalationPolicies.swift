import PagerDutyStepKit
import StepKit

/// `pagerduty-list-escalation-policies`: every escalation policy.
public struct ListEscalationPolicies: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-list-escalation-policies", title: "List Escalation Policies", summary: "List escalation policies (all pages), optionally by name query and teams.",
        properties: PagerDutyProperties.rest + DirectoryListing.properties, outputs: DirectoryListing.outputs)

    let config: StepConfig
    public init(config: StepConfig) throws(StepError) { self.config = config }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        try await DirectoryListing.run("/escalation_policies", key: "escalation_policies", noun: "escalation policy", config: config, context: context)
    }
}
