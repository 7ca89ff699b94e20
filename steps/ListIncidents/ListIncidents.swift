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

/// `pagerduty-list-incidents`: fetch incidents by filters (SOAR "Fetch Incident").
public struct ListIncidents: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-list-incidents", title: "List Incidents",
        summary: "Fetch incidents by time window and filters, all pages (SOAR's Fetch Incident).",
        details: "since and until are UTC ISO 8601 times; the window may be at most 6 months (PagerDuty's limit; checked before sending). Without them PagerDuty uses the last month. Past PagerDuty's 10,000-result ceiling the window is split and fetched in parts.",
        properties: PagerDutyProperties.rest + [
            StepProperty("since", title: "Since", description: "Start of the window (UTC, ISO 8601)."),
            StepProperty("until", title: "Until", description: "End of the window (UTC, ISO 8601)."),
            StepProperty("limit", title: "Limit", description: "How many incidents at most.", kind: .integer, default: "20"),
            StepProperty("statuses", title: "Statuses", description: "Comma-separated: triggered, acknowledged, resolved.", kind: .list),
            StepProperty("urgencies", title: "Urgencies", description: "Comma-separated: high, low.", kind: .list),
            StepProperty("service_ids", title: "Services", description: "Comma-separated service ids.", kind: .list, identifier: .id),
            StepProperty("team_ids", title: "Teams", description: "Comma-separated team ids.", kind: .list, identifier: .id),
            StepProperty("include", title: "Include", description: "Comma-separated extras (assignees, services, teams, first_trigger_log_entries, ...).", kind: .list),
            StepProperty("incident_key", title: "Incident key", description: "Only the incident with this key (the dedup key of the alert that opened it)."),
            StepProperty("time_zone", title: "Time zone", description: "Time zone of the times in the answer."),
            StepProperty("sort_by", title: "Sort by", description: "Up to two of incident_number, created_at, resolved_at, urgency, each with :asc or :desc."),
            StepProperty("output_file", title: "Output file", description: "Write the incidents there as JSON (otherwise they are in the step's JSON result)."),
        ],
        outputs: [StepOutput("incident_ids", "The incidents' ids, comma-separated."), StepOutput("count", "How many.")],
        example: ["since": "2026-11-01T00:00:00Z"])

    let config: StepConfig
    let since: Date?
    let until: Date?
    let limit: Int

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        since = try Self.date(config, "since")
        until = try Self.date(config, "until")
        if let since, let until {
            guard until > since else { throw StepError.invalid("\(config.step): 'until' must be after 'since'", property: "until") }
            if until.timeIntervalSince(since) > 183 * 86_400 {
                throw StepError.invalid("\(config.step): the window from 'since' to 'until' is longer than 6 months, PagerDuty's limit; split it into several runs", property: "until")
            }
        }
        limit = try config.int("limit") ?? 20
        guard (1...100_000).contains(limit) else { throw StepError.invalid("\(config.step): 'limit' must be from 1 to 100000", property: "limit") }
        for (name, allowed) in [("statuses", ["triggered", "acknowledged", "resolved"]), ("urgencies", ["high", "low"])] {
            for value in try config.list(name) where !allowed.contains(value) {
                throw config.invalid(name, "has '\(value)', which is not one of \(allowed.joined(separator: ", "))")
            }
        }
    }

    static func date(_ config: StepConfig, _ name: String) throws(StepError) -> Date? {
        guard let text = config.string(name), !text.isEmpty else { return nil }
        let forms = [
            Date.ISO8601FormatStyle(), Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle().year().month().day(),
        ]
        for form in forms { if let date = try? form.parse(text) { return date } }
        throw config.invalid(name, "must be an ISO 8601 time such as 2026-11-01T00:00:00Z, got '\(text)'")
    }

    /// The filters besides the time window, as `GET /incidents` takes them.
    func filters() throws(StepError) -> [(String, String)] {
        var query: [(String, String)] = []
        for (name, key) in [("statuses", "statuses[]"), ("urgencies", "urgencies[]"), ("service_ids", "service_ids[]"), ("team_ids", "team_ids[]"), ("include", "include[]")] {
            for value in try config.list(name) { query.append((key, value)) }
        }
        if let key = config.string("incident_key") { query.append(("incident_key", key)) }
        if let zone = config.string("time_zone") { query.append(("time_zone", zone)) }
        if let sort = config.string("sort_by") { query.append(("sort_by", sort)) }
        return query
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let filters = try filters()
        if context.dryRun {
            let query = PagerDutyClient.incidentsQuery(since: since, until: until, filters: filters) + [("limit", String(min(100, limit))), ("offset", "0")]
            _ = try await call.send(PagerDutyRequest(method: "GET", path: "/incidents", query: query))
            return call.dryRunResult("list up to \(limit) incidents")
        }
        let client = call.client
        let (since, until, limit) = (self.since, self.until, self.limit)
        let incidents = try await callPagerDuty { () throws(PagerDutyError) in
            try await client.listIncidents(since: since, until: until, filters: filters, maximum: limit) { context.log(.verbose, $0) }
        }
        let ids = incidents.compactMap { $0["id"]?.stringValue }
        let document = Value.object(ValueObject([("incidents", .array(incidents))]))
        if let file = config.string("output_file") {
            do {
                try Data((JSONWriter.write(document, options: .pretty) + "\n").utf8).write(to: URL(fileURLWithPath: file))
            } catch {
                throw StepError(.failed, "cannot write \(file): \(Text.reason(error))", property: "output_file")
            }
        }
        return StepResult(outputs: ["incident_ids": ids.joined(separator: ","), "count": String(ids.count)], summary: "\(ids.count) incident\(ids.count == 1 ? "" : "s")", response: document)
    }
}
