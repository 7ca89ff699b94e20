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
import StepKit
import Synchronization
import Values

/// Properties and helpers the REST steps share.
public enum IncidentProperties {
    /// The incident, by id or incident number.
    public static let incidentID = StepProperty(
        "incident_id", title: "Incident", description: "The incident's id (PXXXXXX) or its number.", required: true, aliases: ["pd-id", "incident"], identifier: .id)
}

/// A REST step's plumbing: the client, dry-run plans, user lookups by email.
public struct RESTSession: Sendable {
    /// The step's context (dry run, log, secrets).
    public let context: StepContext
    /// The client, with the step's credentials and From.
    public let client: PagerDutyClient
    private let planned = PlanLog()

    /// A session for one step run: reads the key (registering it as a secret) and builds the client.
    public init(_ context: StepContext, _ config: StepConfig) async throws(StepError) {
        self.context = context
        client = try await context.restClient(config)
    }

    /// Sends `request`; in a dry run records its plan instead and answers nil.
    public func send(_ request: PagerDutyRequest) async throws(StepError) -> PagerDutyResponse? {
        if context.dryRun {
            // Checks headers (key, From) exactly as a real send would, then shows the plan.
            _ = try checkPagerDuty { () throws(PagerDutyError) in try client.checkedPlan(request) }
            planned.append(client.plan(request))
            return nil
        }
        return try await callPagerDuty { () throws(PagerDutyError) in try await client.send(request) }
    }

    /// Everything a dry run would have sent, for the step result.
    public var plan: Value { .array(planned.all) }

    /// The dry-run result: what would be done, and the requests.
    public func dryRunResult(_ summary: String, outputs: [String: String] = [:]) -> StepResult {
        StepResult(outputs: outputs, summary: "would " + summary, response: plan)
    }

    /// The incident id for an id or number (a lookup, skipped in a dry run).
    public func incidentID(_ idOrNumber: String) async throws(StepError) -> String {
        if context.dryRun { return idOrNumber }
        return try await callPagerDuty { () throws(PagerDutyError) in try await client.incidentID(idOrNumber) }
    }

    /// User ids for a list of ids or emails (emails are looked up; skipped in a dry run).
    public func userIDs(_ items: [String], property: String) async throws(StepError) -> [String] {
        var ids: [String] = []
        for item in items {
            guard item.contains("@") else { ids.append(item); continue }
            if context.dryRun { ids.append("<id of \(item)>"); continue }
            do {
                ids.append(try await client.userID(email: item))
            } catch where error.httpStatus == nil && error.kind == .invalidRequest {
                // No user has that email: the property is wrong.
                throw StepError.invalid("property '\(property)': \(error.message)", property: property)
            } catch {
                // The lookup's HTTP failure is the failure: its kind, exit code and every
                // detail PagerDuty sent, said as a lookup.
                var failure = StepError(error)
                failure.message = "looking up the user \(item) (property '\(property)'): " + failure.message
                throw failure
            }
        }
        return ids
    }
}

final class PlanLog: Sendable {
    private let storage = Mutex<[Value]>([])
    func append(_ plan: Value) { storage.withLock { $0.append(plan) } }
    var all: [Value] { storage.withLock { $0 } }
}

/// The outputs most incident steps return, from an incident object.
public enum IncidentOutputs {
    /// The outputs every incident step returns.
    public static let descriptors = [
        StepOutput("incident_id", "The incident's id."),
        StepOutput("incident_number", "The incident's number."),
        StepOutput("status", "triggered, acknowledged or resolved."),
        StepOutput("html_url", "The incident's page."),
    ]

    /// Those outputs from an incident object.
    public static func of(_ incident: Value?) -> [String: String] {
        guard let incident else { return [:] }
        var outputs: [String: String] = [:]
        outputs["incident_id"] = incident["id"]?.text
        outputs["incident_number"] = incident["incident_number"]?.text
        outputs["status"] = incident["status"]?.text
        outputs["html_url"] = incident["html_url"]?.text
        return outputs.compactMapValues { $0 }
    }
}
