import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-send-change-event`: record a change (a deploy, a config change) on a service.
public struct SendChangeEvent: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-send-change-event", title: "Send Change Event",
        summary: "Record a change (a deploy, a config change) on a service through the Events API v2.",
        details: "Change events notify nobody; PagerDuty shows them beside incidents for 90 days. They need a service's integration key: ruleset keys (starting with R) are refused.",
        properties: PagerDutyProperties.events + [
            StepProperty("summary", title: "Summary", description: "What changed, up to 1024 characters (longer is cut, with a warning).", kind: .text, required: true),
            StepProperty("source", title: "Source", description: "Where the change happened. Default: the job name."),
            StepProperty("timestamp", title: "Timestamp", description: "When the change happened (ISO 8601). Default: when PagerDuty receives it."),
            StepProperty("custom_details", title: "Custom details", description: "A JSON object, or key=value lines.", kind: .text, aliases: ["custom"]),
            StepProperty("links", title: "Links", description: "A JSON list of {href, text}.", kind: .json),
        ],
        outputs: [StepOutput("status", "PagerDuty's answer (success).")],
        // Rundeck Enterprise's change-event step has an API key field; a change event needs none.
        ignoredKeys: ["apiKey"])

    let config: StepConfig
    /// The change event as configured and checked; the routing key and the source default are
    /// filled in when it runs.
    let event: ChangeEvent

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        var event = ChangeEvent(routingKey: "", summary: try config.requiredString("summary"))
        event.source = config.string("source")
        event.timestamp = config.string("timestamp")
        event.customDetails = try EventFields.details(config, allowLines: true)
        event.links = try EventFields.links(config)
        try AlertEventDelivery.check(event, config: config)
        self.event = event
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        var event = self.event
        event.routingKey = try context.routingKey(config)
        event.source = event.source ?? context.data.groups["job"]?["name"] ?? "pdstep"
        let (request, warnings) = try checkPagerDuty { () throws(PagerDutyError) in try PagerDutyClient.request(for: event) }
        context.warn(warnings)
        let client = try context.eventsClient()
        if context.dryRun {
            return StepResult(outputs: ["status": "dry-run"], summary: "would send a change event to \(client.url(for: request).absoluteString)", response: client.plan(request))
        }
        let response = try await context.deliver(request, routingKey: event.routingKey, client: client)
        let result = PagerDutyClient.eventResult(response, fallbackKey: nil)
        return StepResult(outputs: ["status": result.status], summary: "change event accepted by PagerDuty", response: result.response.body)
    }
}
