import PagerDuty
import StepKit

/// The acknowledge and resolve steps, one implementation: a step that sends one event action
/// for an alert named by its dedup key (for SOAR playbooks that hold only the key). A
/// conforming type gives its action and descriptor; building and running come from here.
public protocol DedupKeyEventStep: JobStep {
    /// The action this step sends.
    static var action: AlertEvent.Action { get }
    /// The checked event (without its routing key, read when the step runs).
    var event: AlertEvent { get }
    var config: StepConfig { get }
    init(config: StepConfig, event: AlertEvent)
}

extension DedupKeyEventStep {
    /// The properties both steps take.
    public static var dedupKeyProperties: [StepProperty] {
        PagerDutyProperties.events + [
            StepProperty("dedup_key", title: "Dedup key", description: "The dedup key of the alert (from the trigger's ${data.dedup_key}).", required: true, aliases: ["dedupe_key", "incident_key"]),
        ]
    }

    /// The descriptor of the step that sends `action`.
    public static func dedupKeyDescriptor(name: String, title: String) -> StepDescriptor {
        let verb = action == .acknowledge ? "Acknowledge" : "Resolve"
        return StepDescriptor(
            name: name, title: title, summary: "\(verb) an alert by its dedup key (Events API v2).",
            details: "\(verb)s the open alert with this dedup key on the integration's service. With no open alert, PagerDuty accepts the event and does nothing.",
            properties: dedupKeyProperties, outputs: AlertEventDelivery.outputs)
    }

    /// Builds the event from the dedup key and checks it by the client's rules.
    public init(config: StepConfig) throws(StepError) {
        var event = AlertEvent(routingKey: "", action: Self.action)
        event.dedupKey = try config.requiredString("dedup_key")
        try AlertEventDelivery.check(event, config: config)
        self.init(config: config, event: event)
    }

    /// Sends the event (queued in the outbox when it cannot be delivered).
    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        try await AlertEventDelivery.send(event, config: config, context: context)
    }
}
