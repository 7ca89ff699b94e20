import StepKit
import Values

/// One job of a Rundeck job definition file.
public struct Job: Sendable, Equatable {
    /// The job's name.
    public var name: String
    /// `/`-separated group path, empty for none.
    public var group: String
    /// What the job does (Rundeck's description).
    public var description: String
    /// Rundeck's job uuid, when the file has one.
    public var uuid: String?
    /// The job's `loglevel`: lines above it are not shown.
    public var logLevel: LogLevel
    /// The options the job declares.
    public var options: [JobOption]
    /// The steps and how failures are handled.
    public var workflow: Workflow
    /// Rundeck duration text (`1h30m`, `120`, `${option.t}`), expanded and parsed at run time.
    public var timeout: String?
    /// How often, and after what delay, a failed job runs again.
    public var retry: RetryPolicy?
    /// The node filter, when the job has one (pdstep runs only on the local node).
    public var nodeFilter: String?
    /// Fields the export carries that mean nothing to pdstep (reported once, as a note).
    public var ignoredFields: [String]
    /// What to notify when an execution starts, succeeds or fails.
    public var notifications = JobNotifications()
    /// The file it came from (for messages).
    public var file: String?
    /// How many executions of it may run at once (`pdstep serve`); nil: any number. Rundeck's
    /// rule (ExecutionValidatorService.canRunMoreExecutions): 1 unless `multipleExecutions`,
    /// then `maxMultipleExecutions` when it is a positive integer.
    public var concurrencyLimit: Int? = 1

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
    /// The option's name (`${option.NAME}`).
    public var name: String
    /// What the option is for.
    public var description: String = ""
    /// A label for people.
    public var label: String?
    /// The default (`value:` in the YAML), applied only when the option is not given at all.
    public var defaultValue: String?
    /// Allowed or suggested values.
    public var values: [String] = []
    /// How `values` was split when given as one string.
    public var valuesListDelimiter: String = ","
    /// The run needs a value (from `-o` or the default).
    public var required = false
    /// Only `values` are accepted.
    public var enforced = false
    /// A value must match this whole (unless enforced).
    public var regex: String?
    /// Several values, joined with `delimiter`.
    public var multivalued = false
    /// What joins the values of a multivalued option.
    public var delimiter = ","
    /// A secret: masked everywhere, and not in `${option.x}` unless `valueExposed`.
    public var secure = false
    /// A secure option readable as `${option.x}`.
    public var valueExposed = false
    /// Key-storage path whose password is the default (secure options).
    public var storagePath: String?
    /// Where an enforced option's allowed values come from when it lists none (`valuesUrl`).
    public var valuesURL: String?

    /// An option with only a name.
    public init(name: String) { self.name = name }
}

/// `sequence:`: the steps and how failures are handled.
public struct Workflow: Sendable, Equatable {
    /// The steps, in order.
    public var steps: [WorkflowStep]
    /// Run the remaining steps after one fails (the job still fails).
    public var keepgoing: Bool
    /// Rundeck's strategy: `node-first`, `sequential` (`step-first`) or `parallel`.
    public var strategy: String
    /// Log filters for every step (`pluginConfig.LogFilter`).
    public var logFilters: [LogFilterConfig]
}

/// One log filter attached to a step or a workflow.
public struct LogFilterConfig: Sendable, Hashable {
    /// The log filter plugin (`key-value-data`, `mask-passwords`, ...).
    public var type: String
    /// Its configuration.
    public var config: [String: String]
}

/// One step of a workflow (or an error handler).
public final class WorkflowStep: Sendable, Equatable {
    /// What the step does.
    public enum Kind: Sendable, Equatable {
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

    /// What the step runs.
    public let kind: Kind
    /// The step's description, shown as its label.
    public let description: String?
    /// The step run when this one fails.
    public let errorHandler: WorkflowStep?
    /// From the error handler's map: a successful handler lets the workflow go on.
    public let keepgoingOnSuccess: Bool
    /// Log filters of this step (data capture, masking).
    public let logFilters: [LogFilterConfig]

    /// Steps are equal when they do the same: same kind, description, handler and filters.
    public static func == (a: WorkflowStep, b: WorkflowStep) -> Bool {
        a.kind == b.kind && a.description == b.description && a.errorHandler == b.errorHandler
            && a.keepgoingOnSuccess == b.keepgoingOnSuccess && a.logFilters == b.logFilters
    }

    /// A step.
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
    return Text.clipped(line, to: limit)
}

/// `jobref:`: which job, and the arguments passed to it.
public struct JobReference: Sendable, Hashable {
    /// The referenced job's name.
    public var name: String?
    /// Its group.
    public var group: String?
    /// Its uuid (found first when given).
    public var uuid: String?
    /// `-opt value ...`, expanded at run time.
    public var args: String
    /// Find it by name even when a uuid is given (Rundeck's `useName`).
    public var useName: Bool
    /// Pass the calling job's options that the referenced job declares (Rundeck's
    /// `importOptions`); `args` win over them.
    public var importOptions: Bool = false

    /// How messages name the referenced job.
    public var displayName: String {
        if let name { return (group.map { $0.isEmpty ? "" : $0 + "/" } ?? "") + name }
        return uuid ?? "?"
    }
}
