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
import Settings
import StepKit
import Values

/// `pagerduty-export-directory`: schedules and escalation policies as search records.
public struct ExportDirectory: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-export-directory", title: "Export Directory",
        summary: "Export schedules and escalation policies as search records, one JSON object per line.",
        details: "Each record has id, type, title, a readable content text (description, levels and their targets, layers and their users, teams, handoff settings), url, and racl: the account subdomain plus the ids of every team the object belongs to, so a search index can apply per-team access. The same data always gives byte-identical output.",
        properties: PagerDutyProperties.rest + [
            StepProperty("output_file", title: "Output file", description: "Write the records there (JSON lines); otherwise they are the step's output."),
            StepProperty("subdomain", title: "Subdomain", description: "The account subdomain for racl. Default: from the objects' links.", settingsKeys: [KnownSettings.subdomain.key]),
        ],
        outputs: [StepOutput("count", "How many records."), StepOutput("output_file", "Where they were written.")])

    let config: StepConfig
    public init(config: StepConfig) throws(StepError) { self.config = config }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let schedulesRequest = PagerDutyRequest.list("/schedules", query: nil, teamIDs: [], include: ["schedule_layers"])
        let policiesRequest = PagerDutyRequest.list("/escalation_policies", query: nil, teamIDs: [], include: ["teams", "targets"])
        if context.dryRun {
            _ = try await call.send(schedulesRequest)
            _ = try await call.send(policiesRequest)
            return call.dryRunResult("export every schedule and escalation policy")
        }
        let client = call.client
        let (schedules, _) = try await callPagerDuty { () throws(PagerDutyError) in try await client.listAll(schedulesRequest, key: "schedules") }
        let (policies, _) = try await callPagerDuty { () throws(PagerDutyError) in try await client.listAll(policiesRequest, key: "escalation_policies") }
        let records = (schedules.map { DirectoryRecord.schedule($0, subdomain: subdomain(for: $0)) } + policies.map { DirectoryRecord.policy($0, subdomain: subdomain(for: $0)) })
            .sorted { ($0["type"]?.text ?? "", $0["id"]?.text ?? "") < ($1["type"]?.text ?? "", $1["id"]?.text ?? "") }
        let lines = records.map { JSONWriter.write($0) + "\n" }.joined()
        var outputs = ["count": String(records.count)]
        if let file = config.string("output_file") {
            try OutputFile.write(text: lines, to: file)
            outputs["output_file"] = file
        }
        return StepResult(outputs: outputs, summary: "\(records.count) records (\(schedules.count) schedules, \(policies.count) escalation policies)", response: .string(lines))
    }

    /// The configured subdomain, else `mycompany` from `https://mycompany.pagerduty.com/...`,
    /// else the link's host.
    func subdomain(for object: Value) -> String {
        if let configured = config.string("subdomain"), !configured.isEmpty { return configured }
        guard let host = object["html_url"]?.stringValue.flatMap({ URL(string: $0)?.host }) else { return "" }
        if host.hasSuffix(".pagerduty.com"), let first = host.split(separator: ".").first { return String(first) }
        return host
    }
}

/// Builds one search record.
enum DirectoryRecord {
    static func record(_ object: Value, type: String, content: [String], subdomain: String) -> Value {
        let teams = (object["teams"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }.sorted()
        return .object(ValueObject([
            ("id", .string(object["id"]?.text ?? "")), ("type", .string(type)), ("title", .string(object["name"]?.text ?? "")),
            ("content", .string(content.filter { !$0.isEmpty }.joined(separator: "\n"))), ("url", .string(object["html_url"]?.text ?? "")),
            ("racl", .array(([subdomain] + teams).filter { !$0.isEmpty }.map(Value.string))),
        ]))
    }

    static func names(_ references: [Value]?) -> String {
        (references ?? []).compactMap { $0["summary"]?.stringValue ?? $0["name"]?.stringValue }.joined(separator: ", ")
    }

    static func schedule(_ schedule: Value, subdomain: String) -> Value {
        var content = ["Schedule \(schedule["name"]?.text ?? "") (time zone \(schedule["time_zone"]?.text ?? "")).", schedule["description"]?.text ?? ""]
        for layer in schedule["schedule_layers"]?.arrayValue ?? [] {
            let users = (layer["users"]?.arrayValue ?? []).compactMap { $0["user"]?["summary"]?.stringValue }.joined(separator: ", ")
            let seconds = layer["rotation_turn_length_seconds"]?.intValue ?? 0
            let turn = seconds % 86_400 == 0 ? "\(seconds / 86_400) day\(seconds == 86_400 ? "" : "s")" : "\(seconds / 3600) hours"
            content.append("Layer \(layer["name"]?.text ?? ""): \(users); handoff every \(turn), starting \(layer["start"]?.text ?? "").")
        }
        if let users = schedule["users"]?.arrayValue, !users.isEmpty { content.append("Users: \(names(users)).") }
        if let teams = schedule["teams"]?.arrayValue, !teams.isEmpty { content.append("Teams: \(names(teams)).") }
        if let policies = schedule["escalation_policies"]?.arrayValue, !policies.isEmpty { content.append("Used by escalation policies: \(names(policies)).") }
        return record(schedule, type: "schedule", content: content, subdomain: subdomain)
    }

    static func policy(_ policy: Value, subdomain: String) -> Value {
        let rules = policy["escalation_rules"]?.arrayValue ?? []
        var content = ["Escalation policy \(policy["name"]?.text ?? "") with \(rules.count) level\(rules.count == 1 ? "" : "s").", policy["description"]?.text ?? ""]
        for (index, rule) in rules.enumerated() {
            let targets = (rule["targets"]?.arrayValue ?? []).map { target -> String in
                let kind = (target["type"]?.text ?? "").replacing("_reference", with: "").replacing("_", with: " ")
                return "\(kind) \(target["summary"]?.text ?? target["id"]?.text ?? "")"
            }.joined(separator: ", ")
            content.append("Level \(index + 1): \(targets); escalates after \(rule["escalation_delay_in_minutes"]?.text ?? "?") minutes.")
        }
        let loops = policy["num_loops"]?.intValue ?? 0
        content.append(loops > 0 ? "Repeats \(loops) time\(loops == 1 ? "" : "s") if no one acknowledges." : "Does not repeat.")
        content.append("On-call handoff notifications: \(policy["on_call_handoff_notifications"]?.text ?? "").")
        if let services = policy["services"]?.arrayValue, !services.isEmpty { content.append("Services: \(names(services)).") }
        if let teams = policy["teams"]?.arrayValue, !teams.isEmpty { content.append("Teams: \(names(teams)).") }
        return record(policy, type: "escalation_policy", content: content, subdomain: subdomain)
    }
}
