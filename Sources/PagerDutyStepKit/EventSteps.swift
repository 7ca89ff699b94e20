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
import Settings
import StepKit
import Values

/// What the three alert-event steps share: sending one alert event and describing it.
public enum AlertEventDelivery {
    /// The outputs every alert-event step returns.
    public static let outputs = [
        StepOutput("dedup_key", "The alert's dedup key, for later acknowledge and resolve events."),
        StepOutput("status", "PagerDuty's answer (success)."),
        StepOutput("event_action", "trigger, acknowledge or resolve."),
    ]

    /// Checks an event's content by the client's own rules (`PagerDutyClient.request(for:)`),
    /// before anything is sent: with the step's literal routing key when it has one, else a
    /// placeholder of the right shape (the key itself is read when the step runs). A problem
    /// names the step's property, with exit 2.
    public static func check(_ event: AlertEvent, config: StepConfig) throws(StepError) {
        var event = event
        event.routingKey = config.string("integration_key") ?? EventLimits.placeholderRoutingKey
        try asStepError(config) { () throws(PagerDutyError) in _ = try PagerDutyClient.request(for: event) }
    }

    /// The same for a change event.
    public static func check(_ event: ChangeEvent, config: StepConfig) throws(StepError) {
        var event = event
        event.routingKey = config.string("integration_key") ?? EventLimits.placeholderRoutingKey
        try asStepError(config) { () throws(PagerDutyError) in _ = try PagerDutyClient.request(for: event) }
    }

    /// Runs `body`; a client's refusal becomes a step error naming the property (where
    /// `checkPagerDuty` keeps the client's own words).
    private static func asStepError(_ config: StepConfig, _ body: () throws(PagerDutyError) -> Void) throws(StepError) {
        do {
            try body()
        } catch {
            throw StepError.invalidEvent(error, config: config)
        }
    }

    /// Sends `event` (or, in a dry run, shows the request); answers the step result.
    public static func send(_ event: AlertEvent, config: StepConfig, context: StepContext) async throws(StepError) -> StepResult {
        var event = event
        event.routingKey = try context.routingKey(config)
        let (request, dedupKey, warnings) = try checkPagerDuty { () throws(PagerDutyError) in try PagerDutyClient.request(for: event) }
        context.warn(warnings)
        let client = try context.eventsClient()
        if context.dryRun {
            return StepResult(
                outputs: ["dedup_key": dedupKey ?? "", "status": "dry-run", "event_action": event.action.rawValue],
                summary: "would send the \(event.action.rawValue) event (dedup key \(dedupKey ?? "none")) to \(client.url(for: request).absoluteString)",
                response: client.plan(request))
        }
        // The dedup key is fixed before sending (it is in the request), so every retry, and a
        // resend from the outbox, updates the same alert.
        let response = try await context.deliver(request, routingKey: event.routingKey, client: client)
        let result = PagerDutyClient.eventResult(response, fallbackKey: dedupKey)
        let key = result.dedupKey ?? dedupKey ?? ""
        return StepResult(
            outputs: ["dedup_key": key, "status": result.status, "event_action": event.action.rawValue],
            summary: "\(event.action.rawValue) event accepted by PagerDuty (dedup key \(key))",
            response: result.response.body)
    }
}

extension StepContext {
    /// Sends an event so that it is never lost. With an outbox (`pagerduty.outbox.dir`) the
    /// event is written there before the first attempt and removed after PagerDuty accepts it;
    /// when it cannot be delivered (retries used up, or an answer that is not PagerDuty's, such
    /// as a proxy's error page) it stays, and the step fails as `queued` (exit 3). Only
    /// PagerDuty's own refusal (a 400 with its error body) is final. While the event is in
    /// flight it is registered with `ProcessTermination`, so a signal reports it as queued (or,
    /// with no outbox, as not delivered) instead of dropping it silently.
    public func deliver(_ request: PagerDutyRequest, routingKey: String, client: PagerDutyClient) async throws(StepError) -> PagerDutyResponse {
        let what = request.body?["dedup_key"]?.stringValue.map { "the \(request.body?["event_action"]?.stringValue ?? "alert") event with dedup key \($0)" } ?? "the change event"
        guard let folder = settings.value(KnownSettings.outboxDir.key), !folder.isEmpty else {
            let token = ProcessTermination.holdEvent(what, outboxFile: nil)
            defer { ProcessTermination.release(token) }
            do {
                return try await client.send(request, pacingKey: routingKey)
            } catch {
                throw StepError(error)
            }
        }
        let outbox = Outbox(directory: folder)
        var held: Outbox.Held?
        var holdFailure = ""
        do {
            held = try outbox.hold(request)
        } catch {
            holdFailure = error.description
            warn(["the event could not be written to the outbox before sending (\(error.description)); sending it anyway"])
        }
        let token = ProcessTermination.holdEvent(what, outboxFile: held.map { "\(folder)/\($0.file)" })
        defer { ProcessTermination.release(token) }
        let failure: PagerDutyError
        do {
            let response = try await client.send(request, pacingKey: routingKey)
            if let held { outbox.delivered(held) }
            return response
        } catch {
            failure = error
        }
        if failure.isPagerDutyRefusal || failure.kind == .invalidRequest {
            if let held { outbox.discard(held) }
            throw StepError(failure)
        }
        // A change event has no dedup key: if it may have been recorded, a resend could record
        // it twice, so its entry says so and `flush` leaves it until asked.
        let uncertain = request.body?["dedup_key"]?.stringValue == nil && failure.mayHaveTakenEffect
        guard let held else {
            throw StepError(.temporary, "not delivered, and not queued either: \(failure.message); \(holdFailure)", details: failure.details, httpStatus: failure.httpStatus)
        }
        do {
            try outbox.keep(held, reason: failure.message, uncertain: uncertain)
        } catch {
            throw StepError(.temporary, "not delivered, and not queued either: \(failure.message); \(error.description)", details: failure.details, httpStatus: failure.httpStatus)
        }
        let next = uncertain
            ? "it may have been recorded already, so `pdstep outbox flush` resends it only with --include-uncertain"
            : "`pdstep outbox flush` will send it"
        throw StepError(.queued, "not delivered yet: \(failure.message); kept in the outbox as \(folder)/\(held.file); \(next)", details: failure.details, httpStatus: failure.httpStatus)
    }
}

/// Parsing helpers for event fields.
public enum EventFields {
    /// `custom_details`: a JSON object, or (`allowLines`) `key=value` lines.
    public static func details(_ config: StepConfig, _ name: String = "custom_details", allowLines: Bool = false) throws(StepError) -> Value? {
        guard let text = config.string(name)?.trimmingSpacesAndLines(), !text.isEmpty else { return nil }
        if text.hasPrefix("{") || !allowLines {
            let problem: String
            do {
                let value = try JSONParser.parse(text)
                if case .object = value { return value }
                problem = "must be a JSON object ({\"key\": \"value\"})"
            } catch {
                problem = "is not valid JSON: \(error.description)"
            }
            throw config.invalid(name, problem + (allowLines ? ", or key=value lines" : ""))
        }
        var object = ValueObject()
        for line in text.split(whereSeparator: \.isNewline) where !line.trimmingSpaces().isEmpty {
            guard let equals = line.firstIndex(of: "=") else {
                throw config.invalid(name, "has the line '\(line)', which is not key=value")
            }
            object[line[..<equals].trimmingSpaces()] = .string(line[line.index(after: equals)...].trimmingSpaces())
        }
        return .object(object)
    }

    /// `links`: a JSON list of {href, text}.
    public static func links(_ config: StepConfig) throws(StepError) -> [Value] {
        guard let text = config.string("links")?.trimmingSpacesAndLines(), !text.isEmpty else { return [] }
        guard case .array(let items)? = try? JSONParser.parse(text), items.allSatisfy({ $0["href"]?.stringValue != nil }) else {
            throw config.invalid("links", "must be a JSON list of {\"href\": ..., \"text\": ...}")
        }
        return items
    }

    /// `images`: comma-separated URLs, or a JSON list of {src, href, alt}. (That they are https
    /// is the client's rule, checked with the rest of the event by `AlertEventDelivery.check`.)
    public static func images(_ config: StepConfig) throws(StepError) -> [Value] {
        guard let text = config.string("images")?.trimmingSpacesAndLines(), !text.isEmpty else { return [] }
        let items: [Value]
        if text.hasPrefix("[") {
            guard case .array(let list)? = try? JSONParser.parse(text) else {
                throw config.invalid("images", "is not a valid JSON list")
            }
            items = list.map { $0.stringValue.map { ["src": .string($0)] } ?? $0 }
        } else {
            items = text.split(separator: ",").map { ["src": .string($0.trimmingSpaces())] }
        }
        return items
    }
}

extension StepError {
    /// An event the client found invalid, as a configuration error naming the step's property.
    static func invalidEvent(_ error: PagerDutyError, config: StepConfig) -> StepError {
        let converted = StepError(error)
        let property = converted.property
        return StepError.invalid("\(config.step): \(property.map { "property '\($0)': " } ?? "")\(error.message)", property: property)
    }
}
