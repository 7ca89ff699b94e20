import StepKit
import Values

/// Rundeck's built-in workflow steps that real jobs use, run by pdstep the same way.
public enum BuiltInSteps {
    /// Rundeck's built-in workflow steps pdstep runs itself.
    public static let all: [any JobStep.Type] = [FlowControlStep.self, ExportVarStep.self, LogDataStep.self]
}

/// `flow-control`: halt the workflow, as failed, as succeeded, or with a custom status.
public struct FlowControlStep: JobStep {
    public static let descriptor = StepDescriptor(
        name: "flow-control", title: "Flow Control", summary: "Halt the workflow (Rundeck's built-in Flow Control step).",
        details: "With halt true, a non-empty status ends the job with that custom status; otherwise it ends failed when fail is true and succeeded when fail is false. With halt false the workflow goes on.",
        properties: [
            StepProperty("halt", title: "Halt", description: "Stop the workflow here.", kind: .boolean, default: "false"),
            StepProperty("fail", title: "Fail", description: "Without a status: end the job as failed (true) or succeeded (false).", kind: .boolean, default: "true"),
            StepProperty("status", title: "Status", description: "A custom status to end the job with."),
        ])

    let halt: Bool
    let fail: Bool
    let status: String?

    public init(config: StepConfig) throws(StepError) {
        halt = try config.bool("halt") ?? false
        fail = try config.bool("fail") ?? true
        status = config.string("status").flatMap { $0.isEmpty ? nil : $0 }
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        guard halt else { return StepResult(summary: "continue") }
        let outcome = status ?? (fail ? "failed" : "succeeded")
        if context.dryRun { return StepResult(summary: "would halt the workflow (\(outcome))") }
        if let status { context.log(.normal, "halting with status: \(status)") }
        return StepResult(summary: "halt (\(outcome))", halt: Halt(status: status, fail: fail))
    }
}

/// `export-var`: copy a value into a global variable `${GROUP.NAME}` (Rundeck's "Global Variable").
public struct ExportVarStep: JobStep {
    public static let descriptor = StepDescriptor(
        name: "export-var", title: "Global Variable", summary: "Create a variable in a group (default export), visible to later steps.",
        properties: [
            StepProperty("value", title: "Value", description: "The value, usually a reference such as ${data.var1}.", required: true),
            StepProperty("group", title: "Group", description: "Group of the new variable.", required: true, default: "export"),
            StepProperty("export", title: "Name", description: "Name of the new variable.", required: true),
        ])

    let value: String
    let group: String
    let name: String

    public init(config: StepConfig) throws(StepError) {
        value = try config.requiredString("value")
        group = try config.requiredString("group")
        name = try config.requiredString("export")
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        if value.trimmingSpaces().isEmpty {
            throw StepError.invalid("export-var: the value is empty (or did not resolve)", property: "value")
        }
        return StepResult(summary: "${\(group).\(name)} set", variables: [group: [name: value]])
    }
}

/// `log-data-step`: print the data variables captured so far.
public struct LogDataStep: JobStep {
    public static let descriptor = StepDescriptor(
        name: "log-data-step", title: "Log Data", summary: "Log the data variables captured so far.",
        properties: [
            StepProperty("debugOnly", title: "Debug only", description: "Log at DEBUG level only.", kind: .boolean, default: "false"),
        ])

    let debugOnly: Bool

    public init(config: StepConfig) throws(StepError) { debugOnly = try config.bool("debugOnly") ?? false }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let level: LogLevel = debugOnly ? .debug : .normal
        var lines: [String] = []
        for group in ["data", "export"] {
            for (key, value) in (context.data.groups[group] ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append("\(group).\(key) = \(value)")
            }
        }
        context.log(level, lines.isEmpty ? "(no data captured yet)" : lines.joined(separator: "\n"))
        return StepResult(summary: "\(lines.count) value\(lines.count == 1 ? "" : "s")")
    }
}
