import PagerDuty
import StepKit

/// The acknowledge and resolve steps: one required dedup key plus the routing key, for SOAR
/// playbooks that hold only the key.
public enum DedupKeyEventStep {
    /// The properties both steps take.
    public static let properties: [StepProperty] = PagerDutyProperties.events + [
        StepProperty("dedup_key", title: "Dedup key", description: "The dedup key of the alert (from the trigger's ${data.dedup_key}).", required: true, aliases: ["dedupe_key", "incident_key"]),
    ]

    /// Checks the dedup key at construction time.
    public static func dedupKey(_ config: StepConfig) throws(StepError) -> String {
        let key = try config.requiredString("dedup_key")
        if key.count > EventLimits.dedupKeyCharacters {
            throw StepError.invalid("\(config.step): property 'dedup_key' is \(key.count) characters; PagerDuty allows at most \(EventLimits.dedupKeyCharacters)", property: "dedup_key")
        }
        return key
    }

    /// Sends the event.
    public static func run(_ action: AlertEvent.Action, dedupKey: String, config: StepConfig, context: StepContext) async throws(StepError) -> StepResult {
        var event = AlertEvent(routingKey: "", action: action)
        event.dedupKey = dedupKey
        return try await AlertEventDelivery.send(event, config: config, context: context)
    }
}
