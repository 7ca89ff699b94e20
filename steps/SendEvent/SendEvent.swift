#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-send-event`: trigger, acknowledge or resolve an alert through the Events API v2.
public struct SendEvent: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-send-event", aliases: ["pd-sent-event-step", "pd-send-event-step"],
        title: "Send Event", summary: "Trigger, acknowledge or resolve an alert through the Events API v2.",
        details: """
            A trigger opens an alert (and an incident) on the service the integration key belongs to; a second \
            trigger with the same dedup key adds to the open alert instead of opening another. A trigger \
            without a dedup key gets one, so a retry can never open a second alert; the key is returned as \
            ${data.dedup_key} for a later acknowledge or resolve.
            """,
        properties: PagerDutyProperties.events + [
            StepProperty("event_action", title: "Event action", description: "trigger, acknowledge or resolve.", kind: .select(AlertEvent.Action.allCases.map(\.rawValue)), required: true, default: "trigger"),
            StepProperty("dedup_key", title: "Dedup key", description: "Identifies the alert; required to acknowledge or resolve. At most 255 characters.", aliases: ["dedupe_key", "incident_key"]),
            StepProperty("dedup_from", title: "Dedup key from text", description: "Derive the dedup key as the SHA-256 hex of this text, so the same detection always updates the same alert."),
            StepProperty("summary", title: "Summary", description: "The alert's title, up to 1024 characters (longer is cut, with a warning). Default: the job name and execution id.", kind: .text, aliases: ["payload_summary"]),
            StepProperty("source", title: "Source", description: "The affected system (host, service). Default: the job name.", aliases: ["payload_source"]),
            StepProperty("severity", title: "Severity", description: "critical, error, warning or info; or a source system's severity when severity_map is set.", default: "error", aliases: ["payload_severity"]),
            StepProperty("severity_map", title: "Severity map", description: "Translate severity from another system: the preset 'detection' (CRITICAL, HIGH, MEDIUM, LOW to critical, error, warning, info; any case), or a JSON object such as {\"P1\": \"critical\"}."),
            StepProperty("component", title: "Component", description: "The part of the source that is affected.", aliases: ["payload_component"]),
            StepProperty("group", title: "Group", description: "A logical grouping of sources (a cluster, a region).", aliases: ["payload_group"]),
            StepProperty("class", title: "Class", description: "The kind of event (a check name, a metric).", aliases: ["payload_class"]),
            StepProperty("custom_details", title: "Custom details", description: "A JSON object of extra fields shown on the alert.", kind: .json),
            StepProperty("images", title: "Images", description: "Comma-separated https image URLs, or a JSON list of {src, href, alt}."),
            StepProperty("links", title: "Links", description: "A JSON list of {href, text}.", kind: .json),
            StepProperty("timestamp", title: "Timestamp", description: "When the problem was detected (ISO 8601). Default: when PagerDuty receives it."),
            StepProperty("client", title: "Client", description: "The name of the system sending the event.", default: "pdstep"),
            StepProperty("client_url", title: "Client URL", description: "A link back to that system."),
        ],
        outputs: AlertEventDelivery.outputs)

    let config: StepConfig
    /// The event as configured, checked by the client's rules; the routing key, and the summary
    /// and source defaults that come from the job, are filled in when it runs.
    let event: AlertEvent

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        var problems = ConfigurationProblems()
        let action = problems.check { () throws(StepError) in try config.requiredString("event_action") } ?? "trigger"
        var event = AlertEvent(routingKey: "", action: AlertEvent.Action(rawValue: action) ?? .trigger)
        if let text = config.string("dedup_from"), !text.isEmpty {
            event.dedupKey = SHA256.hex(text)
        } else {
            event.dedupKey = config.string("dedup_key")
        }
        event.summary = config.string("summary")
        event.source = config.string("source")
        event.severity = problems.check { () throws(StepError) in try SeverityMap.severity(config) } ?? nil
        event.component = config.string("component")
        event.group = config.string("group")
        event.eventClass = config.string("class")
        event.customDetails = problems.check { () throws(StepError) in try EventFields.details(config) } ?? nil
        event.links = problems.check { () throws(StepError) in try EventFields.links(config) } ?? []
        event.images = problems.check { () throws(StepError) in try EventFields.images(config) } ?? []
        event.timestamp = config.string("timestamp")
        event.client = config.string("client")
        event.clientURL = config.string("client_url")
        var checked = event
        checked.summary = checked.summary ?? "default"
        checked.source = checked.source ?? "default"
        _ = problems.check { () throws(StepError) in try AlertEventDelivery.check(checked, config: config) }
        try problems.throwIfAny(step: Self.descriptor.name)
        self.event = event
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        var event = self.event
        let job = context.data.groups["job"] ?? [:]
        let jobName = job["name"].flatMap { $0.isEmpty ? nil : $0 } ?? "pdstep"
        event.summary = event.summary ?? "\(jobName) execution \(job["execid"] ?? "")".trimmingSpaces()
        event.source = event.source ?? jobName
        return try await AlertEventDelivery.send(event, config: config, context: context)
    }
}
