import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-resolve-event`: resolve an alert by its dedup key (Events API v2).
public struct ResolveEvent: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-resolve-event", title: "Resolve Event",
        summary: "Resolve an alert by its dedup key (Events API v2).",
        details: "Resolves the open alert with this dedup key on the integration's service. With no open alert, PagerDuty accepts the event and does nothing.",
        properties: DedupKeyEventStep.properties, outputs: AlertEventDelivery.outputs)

    let config: StepConfig
    let dedupKey: String

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        dedupKey = try DedupKeyEventStep.dedupKey(config)
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        try await DedupKeyEventStep.run(.resolve, dedupKey: dedupKey, config: config, context: context)
    }
}
