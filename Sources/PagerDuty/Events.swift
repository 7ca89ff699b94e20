#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Values

/// An Events API v2 alert event (trigger, acknowledge or resolve).
public struct AlertEvent: Sendable {
    /// What the event does to the alert.
    public enum Action: String, Sendable, CaseIterable { case trigger, acknowledge, resolve }
    /// How bad it is (sets the incident's urgency by the service's rules).
    public enum Severity: String, Sendable, CaseIterable { case critical, error, warning, info }

    /// The service integration's routing (integration) key.
    public var routingKey: String
    /// Trigger, acknowledge or resolve.
    public var action: Action
    /// Names the alert; a trigger without one gets one before sending.
    public var dedupKey: String?
    /// The alert's title (a trigger needs one; cut at 1024 characters).
    public var summary: String?
    /// The affected system (a trigger needs one).
    public var source: String?
    /// How bad it is (default error).
    public var severity: Severity?
    /// When it was detected (ISO 8601).
    public var timestamp: String?
    /// The affected part of the source.
    public var component: String?
    /// A logical grouping of sources.
    public var group: String?
    /// The kind of event (`class` in the payload).
    public var eventClass: String?
    /// A JSON object of extra fields.
    public var customDetails: Value?
    /// Images ({src, href, alt}); src must be https.
    public var images: [Value] = []
    /// Links ({href, text}).
    public var links: [Value] = []
    /// The sending system's name.
    public var client: String?
    /// A link back to the sending system.
    public var clientURL: String?

    /// An event with no fields set yet.
    public init(routingKey: String, action: Action) {
        self.routingKey = routingKey
        self.action = action
    }
}

/// An Events API v2 change event.
public struct ChangeEvent: Sendable {
    /// The service integration's routing key (ruleset keys are refused).
    public var routingKey: String
    /// What changed (cut at 1024 characters).
    public var summary: String
    /// Where it changed.
    public var source: String?
    /// When it changed (ISO 8601).
    public var timestamp: String?
    /// A JSON object of extra fields.
    public var customDetails: Value?
    /// Links ({href, text}).
    public var links: [Value] = []

    /// A change event.
    public init(routingKey: String, summary: String) {
        self.routingKey = routingKey
        self.summary = summary
    }
}

/// What PagerDuty answered to an event.
public struct EventResult: Sendable {
    /// PagerDuty's status (`success`).
    public var status: String
    /// PagerDuty's message.
    public var message: String
    /// The dedup key the alert is known by (ours, or the one PagerDuty made).
    public var dedupKey: String?
    /// The whole answer.
    public var response: PagerDutyResponse
}

/// The Events API's limits, checked before anything is sent.
public enum EventLimits {
    /// Longest summary PagerDuty keeps.
    public static let summaryCharacters = 1024
    /// Longest dedup key PagerDuty accepts.
    public static let dedupKeyCharacters = 255
    /// Largest event body PagerDuty accepts.
    public static let bodyBytes = 512 * 1024
    /// Length of an Events API v2 routing key.
    public static let routingKeyCharacters = 32
    /// A routing key of the right shape, for checking an event's content before the real key is
    /// known (it is read from key storage when the step runs).
    public static let placeholderRoutingKey = String(repeating: "0", count: routingKeyCharacters)

    /// Problems with a routing key's shape (nil when it looks right).
    public static func routingKeyProblem(_ key: String) -> String? {
        let lettersAndDigits = key.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        if lettersAndDigits && key.utf8.count == routingKeyCharacters { return nil }
        if key.count != routingKeyCharacters {
            return "must be \(routingKeyCharacters) characters (an Events API v2 integration key), got \(key.count)"
        }
        if !lettersAndDigits {
            return "must hold only letters and digits"
        }
        return nil
    }
}

extension PagerDutyClient {
    /// The request for an alert event, checked against the API's rules. A trigger without a
    /// dedup key gets one (a UUID), so that a retry can never open a second alert. Answers the
    /// request and warnings (a summary cut to 1024 characters).
    public static func request(for event: AlertEvent) throws(PagerDutyError) -> (PagerDutyRequest, dedupKey: String?, warnings: [String]) {
        var warnings: [String] = []
        // Every problem is found before any is reported, so one run of validate shows them all.
        var problems: [(field: String, message: String)] = []
        if let problem = EventLimits.routingKeyProblem(event.routingKey) {
            problems.append(("routing_key", "the routing key \(problem)"))
        }
        var body = ValueObject()
        body["routing_key"] = .string(event.routingKey)
        body["event_action"] = .string(event.action.rawValue)
        var dedupKey = event.dedupKey.flatMap { $0.isEmpty ? nil : $0 }
        if event.action != .trigger && dedupKey == nil {
            problems.append(("dedup_key", "an \(event.action.rawValue) event needs the dedup_key of the alert it \(event.action == .acknowledge ? "acknowledges" : "resolves")"))
        }
        if event.action == .trigger && dedupKey == nil {
            dedupKey = UUID().uuidString.lowercased()
        }
        if let key = dedupKey {
            if key.count > EventLimits.dedupKeyCharacters {
                problems.append(("dedup_key", "dedup_key is \(key.count) characters; PagerDuty allows at most \(EventLimits.dedupKeyCharacters)"))
            }
            body["dedup_key"] = .string(key)
        }
        if event.action == .trigger {
            var summary = event.summary ?? ""
            let source = event.source ?? ""
            if summary.isEmpty { problems.append(("summary", "a trigger needs a summary")) }
            if source.isEmpty { problems.append(("source", "a trigger needs a source")) }
            if summary.count > EventLimits.summaryCharacters {
                warnings.append("summary was \(summary.count) characters; cut to \(EventLimits.summaryCharacters), PagerDuty's limit")
                summary = Text.clipped(summary, to: EventLimits.summaryCharacters)
            }
            var payload = ValueObject()
            payload["summary"] = .string(summary)
            payload["source"] = .string(source)
            payload["severity"] = .string((event.severity ?? .error).rawValue)
            if let timestamp = event.timestamp, !timestamp.isEmpty { payload["timestamp"] = .string(timestamp) }
            if let component = event.component, !component.isEmpty { payload["component"] = .string(component) }
            if let group = event.group, !group.isEmpty { payload["group"] = .string(group) }
            if let eventClass = event.eventClass, !eventClass.isEmpty { payload["class"] = .string(eventClass) }
            if let details = event.customDetails {
                if case .object = details {
                    payload["custom_details"] = details
                } else {
                    problems.append(("custom_details", "custom_details must be a JSON object"))
                }
            }
            body["payload"] = .object(payload)
            if let client = event.client, !client.isEmpty { body["client"] = .string(client) }
            if let clientURL = event.clientURL, !clientURL.isEmpty { body["client_url"] = .string(clientURL) }
        }
        for image in event.images where !(image["src"]?.stringValue?.lowercased().hasPrefix("https://") ?? false) {
            problems.append(("images", "image src must be an https:// URL (PagerDuty shows only HTTPS images), got \(image["src"]?.text ?? "none")"))
        }
        if event.links.contains(where: { $0["href"]?.stringValue?.isEmpty != false }) {
            problems.append(("links", "each link needs an href"))
        }
        if let first = problems.first {
            throw PagerDutyError.invalid(first.field, problems.count == 1 ? first.message : problems.map(\.message).joined(separator: "; "))
        }
        if !event.images.isEmpty { body["images"] = .array(event.images) }
        if !event.links.isEmpty { body["links"] = .array(event.links) }
        let value = Value.object(body)
        try checkSize(value)
        return (PagerDutyRequest(api: .events, method: "POST", path: "/v2/enqueue", body: value, idempotent: true), dedupKey, warnings)
    }

    /// The request for a change event. Ruleset keys (starting with R) are refused: PagerDuty
    /// accepts change events only on service integration keys.
    public static func request(for event: ChangeEvent) throws(PagerDutyError) -> (PagerDutyRequest, warnings: [String]) {
        if let problem = EventLimits.routingKeyProblem(event.routingKey) {
            throw PagerDutyError.invalid("routing_key", "the routing key \(problem)")
        }
        if event.routingKey.hasPrefix("R") {
            throw PagerDutyError.invalid("routing_key", "the routing key starts with R, which makes it a ruleset (event orchestration) key; change events need a service's Events API v2 integration key")
        }
        var warnings: [String] = []
        var summary = event.summary
        guard !summary.isEmpty else { throw PagerDutyError.invalid("summary", "a change event needs a summary") }
        if summary.count > EventLimits.summaryCharacters {
            warnings.append("summary was \(summary.count) characters; cut to \(EventLimits.summaryCharacters), PagerDuty's limit")
            summary = Text.clipped(summary, to: EventLimits.summaryCharacters)
        }
        var payload = ValueObject([("summary", .string(summary))])
        if let source = event.source, !source.isEmpty { payload["source"] = .string(source) }
        if let timestamp = event.timestamp, !timestamp.isEmpty { payload["timestamp"] = .string(timestamp) }
        if let details = event.customDetails {
            guard case .object = details else { throw PagerDutyError.invalid("custom_details", "custom_details must be a JSON object") }
            payload["custom_details"] = details
        }
        var body = ValueObject([("routing_key", .string(event.routingKey)), ("payload", .object(payload))])
        if !event.links.isEmpty { body["links"] = .array(event.links) }
        let value = Value.object(body)
        try checkSize(value)
        // A change event has no dedup key; PagerDuty keeps each one, so a retry may store it twice.
        return (PagerDutyRequest(api: .events, method: "POST", path: "/v2/change/enqueue", body: value, idempotent: false), warnings)
    }

    static func checkSize(_ body: Value) throws(PagerDutyError) {
        let size = JSONWriter.write(body).utf8.count
        if size > EventLimits.bodyBytes {
            throw PagerDutyError.invalid(nil, "the event is \(size / 1024) KB; the Events API takes at most 512 KB (trim custom_details)")
        }
    }

    /// Sends an alert event, paced per routing key.
    public func send(_ event: AlertEvent) async throws(PagerDutyError) -> (EventResult, warnings: [String]) {
        let (request, dedupKey, warnings) = try Self.request(for: event)
        let response = try await send(request, pacingKey: event.routingKey)
        return (Self.eventResult(response, fallbackKey: dedupKey), warnings)
    }

    /// The result of an accepted event, with the dedup key PagerDuty answered (or ours).
    public static func eventResult(_ response: PagerDutyResponse, fallbackKey: String?) -> EventResult {
        EventResult(
            status: response.body["status"]?.text ?? "success", message: response.body["message"]?.text ?? "",
            dedupKey: response.body["dedup_key"]?.stringValue ?? fallbackKey, response: response)
    }
}
