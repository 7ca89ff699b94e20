import PagerDutyStepKit
import StepKit

/// `pagerduty-list-schedules`: every on-call schedule.
public struct ListSchedules: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-list-schedules", title: "List Schedules", summary: "List on-call schedules (all pages), optionally by name query and teams.",
        properties: PagerDutyProperties.rest + DirectoryListing.properties, outputs: DirectoryListing.outputs)

    let config: StepConfig
    public init(config: StepConfig) throws(StepError) { self.config = config }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        try await DirectoryListing.run("/schedules", key: "schedules", noun: "schedule", config: config, context: context)
    }
}
