import PagerDuty
import PagerDutyStepKit
import StepKit

/// `pagerduty-resolve-event`: resolve an alert by its dedup key (Events API v2).
public struct ResolveEvent: DedupKeyEventStep {
    public static let action = AlertEvent.Action.resolve
    public static let descriptor = dedupKeyDescriptor(name: "pagerduty-resolve-event", title: "Resolve Event")

    public let config: StepConfig
    public let event: AlertEvent

    public init(config: StepConfig, event: AlertEvent) {
        self.config = config
        self.event = event
    }
}
