import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-acknowledge-event`: acknowledge an alert by its dedup key (Events API v2).
public struct AcknowledgeEvent: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-acknowledge-event", title: "Acknowledge Event",
        summary: "Acknowledge an alert by its dedup key (Events API v2).",
        details: "Acknowledges the open alert with this dedup key on the integration's service. With no open alert, PagerDuty accepts the event and does nothing.",
        properties: DedupKeyEventStep.properties, outputs: AlertEventDelivery.outputs)

    let config: StepConfig
    let dedupKey: String

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        dedupKey = try DedupKeyEventStep.dedupKey(config)
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        try await DedupKeyEventStep.run(.acknowledge, dedupKey: dedupKey, config: config, context: context)
    }
}
