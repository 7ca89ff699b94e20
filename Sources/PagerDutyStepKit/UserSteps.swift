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
import Values

/// The fields the user steps share.
public enum UserFields {
    /// The user fields a create or update step takes.
    public static func properties(nameRequired: Bool) -> [StepProperty] {
        [
            StepProperty("name", title: "Name", description: "The user's name (up to 100 characters).", required: nameRequired),
            StepProperty("email", title: "Email", description: "The user's email (their login).", required: nameRequired),
            StepProperty("role", title: "Role", description: "PagerDuty role: \(pagerDutyRoles.joined(separator: ", ")).", kind: .select(pagerDutyRoles)),
            StepProperty("color", title: "Color", description: "Schedule color (a name such as green, or purple)."),
            StepProperty("title", title: "Job title", description: "The user's job title.", aliases: ["job_title"]),
            StepProperty("description", title: "Description", description: "About the user.", kind: .text),
            StepProperty("time_zone", title: "Time zone", description: "IANA time zone, e.g. Europe/Berlin."),
        ]
    }

    /// The given fields, in PagerDuty's names (only those set).
    public static func fields(_ config: StepConfig) -> ValueObject {
        var fields = ValueObject()
        for (property, field) in [("name", "name"), ("email", "email"), ("role", "role"), ("color", "color"), ("title", "job_title"), ("description", "description"), ("time_zone", "time_zone")] {
            if let value = config.string(property) { fields[field] = .string(value) }
        }
        return fields
    }

    /// The outputs every user step returns.
    public static let outputs = [
        StepOutput("user_id", "The user's id."), StepOutput("name", "The user's name."), StepOutput("email", "The user's email."),
        StepOutput("role", "The user's role."), StepOutput("html_url", "The user's page."),
    ]

    /// Those outputs from a user object.
    public static func outputs(_ user: Value?) -> [String: String] {
        guard let user else { return [:] }
        return [
            "user_id": user["id"]?.text ?? "", "name": user["name"]?.text ?? "", "email": user["email"]?.text ?? "",
            "role": user["role"]?.text ?? "", "html_url": user["html_url"]?.text ?? "",
        ]
    }
}

/// Listing steps (users, schedules, escalation policies): query, teams, all pages.
public enum DirectoryListing {
    /// The properties every listing step takes.
    public static let properties = [
        StepProperty("query", title: "Query", description: "Only those whose name matches."),
        StepProperty("team_ids", title: "Teams", description: "Comma-separated team ids.", kind: .list, aliases: ["teams"], identifier: .id),
        StepProperty("output_file", title: "Output file", description: "Write the list there as JSON (otherwise it is in the step's JSON result)."),
    ]

    /// Fetches every page of `path` (`key` is the plural) and answers the result.
    public static func run(_ path: String, key: String, noun: String, include: [String] = [], config: StepConfig, context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let request = PagerDutyRequest.list(path, query: config.string("query"), teamIDs: try config.list("team_ids"), include: include)
        if context.dryRun {
            _ = try await call.send(request)
            return call.dryRunResult("list every \(noun)")
        }
        let client = call.client
        let (items, _) = try await callPagerDuty { () throws(PagerDutyError) in try await client.listAll(request, key: key) }
        let document = Value.object(ValueObject([(key, .array(items))]))
        try OutputFile.write(document, config: config)
        let outputs = [
            "ids": items.compactMap { $0["id"]?.stringValue }.joined(separator: ","),
            "names": items.compactMap { $0["name"]?.stringValue }.joined(separator: ","),
            "count": String(items.count),
        ]
        return StepResult(outputs: outputs, summary: "\(items.count) \(noun)\(items.count == 1 ? "" : "s")", response: document)
    }

    /// The outputs every listing step returns.
    public static let outputs = [
        StepOutput("ids", "The ids, comma-separated."), StepOutput("names", "The names, comma-separated."), StepOutput("count", "How many."),
    ]
}

/// The `output_file` property: write a JSON document there.
public enum OutputFile {
    /// Writes the listing to `output_file`, when the step has one.
    public static func write(_ document: Value, config: StepConfig) throws(StepError) {
        guard let file = config.string("output_file"), !file.isEmpty else { return }
        try write(text: JSONWriter.write(document, options: .pretty) + "\n", to: file)
    }

    /// Writes text to a file, as a step failure naming the file when it cannot.
    public static func write(text: String, to file: String) throws(StepError) {
        guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8)) else {
            throw StepError(.failed, "cannot write \(file)", property: "output_file")
        }
    }
}
