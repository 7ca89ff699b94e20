import StepKit
import Values

/// One job of a Rundeck job definition file.
public struct Job: Sendable {
    public var name: String
    /// `/`-separated group path, empty for none.
    public var group: String
    public var description: String
    public var uuid: String?
    public var logLevel: LogLevel
    public var options: [JobOption]
    public var workflow: Workflow
    /// Rundeck duration text (`1h30m`, `120`, `${option.t}`), expanded and parsed at run time.
    public var timeout: String?
    public var retry: RetryPolicy?
    /// The node filter, when the job has one (pdstep runs only on the local node).
    public var nodeFilter: String?
    /// Fields the export carries that mean nothing to pdstep (reported once, as a note).
    public var ignoredFields: [String]
    /// The file it came from (for messages).
    public var file: String?

    /// `group/name`, or `name` without a group.
    public var fullName: String { group.isEmpty ? name : group + "/" + name }
}

/// `retry`: how many times a failed run is started again, and the pause between runs.
public struct RetryPolicy: Sendable, Hashable {
    /// Count, possibly `${option.x}`.
    public var count: String
    /// Rundeck duration, possibly empty.
    public var delay: String
}

/// A job option (`options:` entry), with Rundeck's validation rules.
public struct JobOption: Sendable, Hashable {
    public var name: String
    public var description: String = ""
    public var label: String?
    /// The default (`value:` in the YAML), applied only when the option is not given at all.
    public var defaultValue: String?
    public var values: [String] = []
    public var valuesListDelimiter: String = ","
    public var required = false
    public var enforced = false
    public var regex: String?
    public var multivalued = false
    public var delimiter = ","
    public var secure = false
    public var valueExposed = false
    /// Key-storage path whose password is the default (secure options).
    public var storagePath: String?

    public init(name: String) { self.name = name }
}

/// `sequence:`: the steps and how failures are handled.
public struct Workflow: Sendable {
    public var steps: [WorkflowStep]
    public var keepgoing: Bool
    public var strategy: String
    /// Log filters for every step (`pluginConfig.LogFilter`).
    public var logFilters: [LogFilterConfig]
}

/// One log filter attached to a step or a workflow.
public struct LogFilterConfig: Sendable, Hashable {
    public var type: String
    public var config: [String: String]
}

/// One step of a workflow (or an error handler).
public final class WorkflowStep: Sendable {
    /// What the step does.
    public enum Kind: Sendable {
        /// `exec:` a command line, run with /bin/sh.
        case exec(String)
        /// `script:` an inline script.
        case script(body: String, args: String, interpreter: String?, argsQuoted: Bool, fileExtension: String?)
        /// `scriptfile:` a local script file.
        case scriptFile(path: String, args: String, interpreter: String?, argsQuoted: Bool, expandTokens: Bool)
        /// `scripturl:` (not supported; refused by validate).
        case scriptURL(String)
        /// `jobref:` another job.
        case jobRef(JobReference)
        /// `type:` a plugin step with its configuration.
        case plugin(type: String, configuration: [String: String], nodeStep: Bool)
    }

    public let kind: Kind
    public let description: String?
    public let errorHandler: WorkflowStep?
    /// From the error handler's map: a successful handler lets the workflow go on.
    public let keepgoingOnSuccess: Bool
    public let logFilters: [LogFilterConfig]

    public init(kind: Kind, description: String?, errorHandler: WorkflowStep?, keepgoingOnSuccess: Bool, logFilters: [LogFilterConfig]) {
        self.kind = kind
        self.description = description
        self.errorHandler = errorHandler
        self.keepgoingOnSuccess = keepgoingOnSuccess
        self.logFilters = logFilters
    }

    /// A short label for the log: the description, else the step type or command.
    public var label: String {
        if let description, !description.isEmpty { return description }
        switch kind {
        case .exec(let command): return "exec: " + firstLine(command, limit: 60)
        case .script(let body, _, _, _, _): return "script: " + firstLine(body.split(separator: "\n").first { !$0.hasPrefix("#!") }.map(String.init) ?? "", limit: 60)
        case .scriptFile(let path, _, _, _, _): return "scriptfile: " + path
        case .scriptURL(let url): return "scripturl: " + url
        case .jobRef(let ref): return "job: " + ref.displayName
        case .plugin(let type, _, _): return type
        }
    }
}

private func firstLine(_ text: String, limit: Int) -> String {
    let line = text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
    return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
}

/// `jobref:`: which job, and the arguments passed to it.
public struct JobReference: Sendable, Hashable {
    public var name: String?
    public var group: String?
    public var uuid: String?
    /// `-opt value ...`, expanded at run time.
    public var args: String
    public var useName: Bool

    public var displayName: String {
        if let name { return (group.map { $0.isEmpty ? "" : $0 + "/" } ?? "") + name }
        return uuid ?? "?"
    }
}
