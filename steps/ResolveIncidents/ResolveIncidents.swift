import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-resolve-incidents`: resolve many incidents at once (SOAR's Resolve Incidents).
public struct ResolveIncidents: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-resolve-incidents", title: "Resolve Incidents",
        summary: "Resolve many incidents, 250 per request, and report which failed and why.",
        details: "PagerDuty updates at most 250 incidents per request, all or nothing. When a batch is refused, its incidents are resolved one by one so that each failure is named with PagerDuty's reason.",
        properties: PagerDutyProperties.rest + [
            StepProperty("incident_ids", title: "Incidents", description: "Comma-separated incident ids.", kind: .list, required: true, identifier: .id),
            StepProperty("resolution", title: "Resolution", description: "How they were resolved.", kind: .text),
            PagerDutyProperties.fromEmail,
        ],
        outputs: [
            StepOutput("resolved_ids", "Incidents resolved, comma-separated."), StepOutput("failed_ids", "Incidents that could not be resolved."),
            StepOutput("count", "How many were resolved."),
        ])

    /// PagerDuty's limit per request.
    public static let batchSize = 250

    let config: StepConfig
    let ids: [String]

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        ids = try config.requiredList("incident_ids")
    }

    func item(_ id: String) -> Value {
        var object = ValueObject([("id", .string(id)), ("type", "incident_reference"), ("status", "resolved")])
        if let resolution = config.string("resolution") { object["resolution"] = .string(resolution) }
        return .object(object)
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        var resolved: [String] = []
        var failures: [(String, String)] = []
        for start in stride(from: 0, to: ids.count, by: Self.batchSize) {
            let batch = Array(ids[start..<min(ids.count, start + Self.batchSize)])
            do {
                _ = try await call.send(.bulkUpdate(batch.map(item)))
                resolved += batch
            } catch where error.kind == .remote || error.kind == .notFound {
                context.log(.warn, "PagerDuty refused the batch of \(batch.count) (\(error.message)); resolving them one by one to find which")
                for id in batch {
                    do {
                        var fields = ValueObject([("status", "resolved")])
                        if let resolution = config.string("resolution") { fields["resolution"] = .string(resolution) }
                        _ = try await call.send(.updateIncident(id, fields: fields))
                        resolved.append(id)
                    } catch where error.kind == .remote || error.kind == .notFound {
                        failures.append((id, ([error.message] + error.details).joined(separator: "; ")))
                    }
                }
            }
        }
        if context.dryRun { return call.dryRunResult("resolve \(ids.count) incident\(ids.count == 1 ? "" : "s") in \((ids.count + Self.batchSize - 1) / Self.batchSize) request(s)") }
        let outputs = ["resolved_ids": resolved.joined(separator: ","), "failed_ids": failures.map(\.0).joined(separator: ","), "count": String(resolved.count)]
        if !failures.isEmpty {
            throw StepError(.remote, "\(failures.count) of \(ids.count) incidents could not be resolved (\(resolved.count) were)", details: failures.map { "\($0.0): \($0.1)" })
        }
        return StepResult(outputs: outputs, summary: "resolved \(resolved.count) incident\(resolved.count == 1 ? "" : "s")")
    }
}
