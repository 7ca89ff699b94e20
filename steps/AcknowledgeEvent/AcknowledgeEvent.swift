import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-acknowledge-event`: acknowledge an alert by its dedup key (Events API v2).
public struct AcknowledgeEvent: DedupKeyEventStep {
    public static let action = AlertEvent.Action.acknowledge
    public static let descriptor = dedupKeyDescriptor(name: "pagerduty-acknowledge-event", title: "Acknowledge Event")

    public let config: StepConfig
    public let event: AlertEvent

    public init(config: StepConfig, event: AlertEvent) {
        self.config = config
        self.event = event
    }
}
