import StepKit
import Values

/// Why a job definition could not be read. The message names the file, the job and the step.
public struct JobDefinitionError: ReportableError, Sendable {
    /// What is wrong, naming the job and step.
    public var description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }

    /// A job file that cannot be run as written is invalid input.
    public var exitCode: ExitCode { .invalidInput }
}

/// Turns a parsed Rundeck job document (YAML or JSON) into jobs, with Rundeck's rules: the root
/// is a list of maps; options may be a list or a name → option map; `value` is an option's
/// default; `keepgoingOnSuccess` belongs inside `errorhandler`.
public enum JobDecoder {
    static let knownJobFields: Set<String> = [
        "name", "group", "description", "uuid", "loglevel", "options", "sequence", "timeout", "retry", "retryDelay",
        "nodefilters", "notification", "notifyAvgDurationThreshold", "multipleExecutions", "maxMultipleExecutions",
    ]

    /// Fields of Rundeck's job format that only mean something on a server (ScheduledExecution
    /// `toMap`), accepted and listed as ignored.
    static let serverJobFields: Set<String> = [
        "id", "project", "schedule", "scheduleEnabled", "executionEnabled", "nodeFilterEditable", "defaultTab", "plugins", "dispatch", "nodesSelectedByDefault", "loglimit", "loglimitAction",
        "loglimitStatus", "schedules", "orchestrator", "timeZone", "logging", "context", "nodeSelectedByDefault",
    ]

    /// Decodes every job in `document`.
    public static func decode(_ document: Value, file: String?) throws(JobDefinitionError) -> [Job] {
        let where_ = file.map { "\($0): " } ?? ""
        guard case .array(let items) = document else {
            throw JobDefinitionError("\(where_)a job file holds a list of jobs ('- name: ...'); this one holds \(document.kindName)")
        }
        var jobs: [Job] = []
        for (index, item) in items.enumerated() {
            guard case .object(let map) = item else {
                throw JobDefinitionError("\(where_)job \(index + 1) is \(item.kindName), expected a map of job fields")
            }
            jobs.append(try decodeJob(map, index: index, file: file))
        }
        return jobs
    }

    static func decodeJob(_ map: ValueObject, index: Int, file: String?) throws(JobDefinitionError) -> Job {
        let nameText = map["name"].flatMap(scalarText) ?? ""
        let label = (file.map { "\($0): " } ?? "") + (nameText.isEmpty ? "job \(index + 1)" : "job '\(nameText)'")
        guard !nameText.isEmpty else { throw JobDefinitionError("\(label): 'name' is required") }
        var ignored: [String] = []
        for key in map.keys where !knownJobFields.contains(key) {
            // A server field Rundeck writes is ignored; a near miss of a field pdstep reads
            // (`optons`) is a typo that would drop what it holds.
            if !serverJobFields.contains(key), let near = nearest(to: key, in: Array(knownJobFields)) {
                throw JobDefinitionError("\(label): '\(key)' is not a job field; did you mean '\(near)'?")
            }
            ignored.append(key)
        }
        var nodeFilter: String?
        if case .object(let filters)? = map["nodefilters"] {
            nodeFilter = filters["filter"].flatMap(scalarText)
            if nodeFilter == nil, case .object(let include)? = filters["include"] {
                nodeFilter = include.entries.map { "\($0.key): \(scalarText($0.value) ?? "")" }.joined(separator: " ")
            }
        }
        // `sequence` is a map with `commands`; the oldest format makes it the list itself.
        let commands: [Value]
        var sequence = ValueObject()
        switch map["sequence"] {
        case .object(let object)?:
            guard case .array(let list)? = object["commands"] else {
                throw JobDefinitionError("\(label): 'sequence.commands' must be a list of steps")
            }
            sequence = object
            commands = list
        case .array(let list)?:
            commands = list
        default:
            throw JobDefinitionError("\(label): 'sequence' with 'commands' is required")
        }
        let strategy = sequence["strategy"].flatMap(scalarText) ?? "node-first"
        guard ["node-first", "sequential", "step-first", "parallel"].contains(strategy) else {
            throw JobDefinitionError("\(label): workflow strategy '\(strategy)' is not supported; pdstep runs node-first, sequential (step-first) and parallel workflows on the local node (a ruleset needs Rundeck Enterprise's rule engine)")
        }
        var workflowFilters: [LogFilterConfig] = []
        if case .object(let pluginConfig)? = sequence["pluginConfig"] {
            workflowFilters = try logFilters(pluginConfig["LogFilter"], label: label + ", sequence.pluginConfig")
        }
        var job = Job(
            name: nameText, group: map["group"].flatMap(scalarText) ?? "",
            description: map["description"].flatMap(scalarText) ?? "", uuid: map["uuid"].flatMap(scalarText),
            logLevel: try logLevel(map, label), options: try decodeOptions(map["options"], label: label),
            workflow: Workflow(
                steps: try decodeSteps(commands, label: label), keepgoing: truthy(sequence["keepgoing"]),
                strategy: strategy, logFilters: workflowFilters),
            timeout: map["timeout"].flatMap(scalarText), retry: try retry(map, label), nodeFilter: nodeFilter,
            ignoredFields: ignored, file: file)
        job.notifications = try JobNotifications.decode(map["notification"], label: label)
        job.notifications.averageDurationThreshold = map["notifyAvgDurationThreshold"].flatMap(scalarText).flatMap { $0.isEmpty ? nil : $0 }
        job.concurrencyLimit = concurrencyLimit(map)
        return job
    }

    /// Rundeck's limit on a job's running executions: one, unless `multipleExecutions` (Groovy
    /// truth: any non-empty text counts), then `maxMultipleExecutions` if it is a positive
    /// integer, else none (ScheduledExecution.fromMap, ExecutionValidatorService).
    static func concurrencyLimit(_ map: ValueObject) -> Int? {
        let multiple: Bool
        switch map["multipleExecutions"] {
        case .bool(let b)?: multiple = b
        case .string(let s)?: multiple = !s.isEmpty
        case .int(let i)?: multiple = i != 0
        default: multiple = false
        }
        guard multiple else { return 1 }
        guard let text = map["maxMultipleExecutions"].flatMap(scalarText), let max = Int(text), max > 0 else {
            return nil
        }
        return max
    }

    static func logLevel(_ map: ValueObject, _ label: String) throws(JobDefinitionError) -> LogLevel {
        guard let text = map["loglevel"].flatMap(scalarText), !text.isEmpty else { return .normal }
        if text.uppercased() == "ERR" { return .error }
        guard let level = LogLevel(rundeckName: text) else {
            throw JobDefinitionError("\(label): loglevel '\(text)' is not one of DEBUG, VERBOSE, INFO, WARN, ERROR")
        }
        return level
    }

    static func retry(_ map: ValueObject, _ label: String) throws(JobDefinitionError) -> RetryPolicy? {
        switch map["retry"] {
        case nil, .null?: return nil
        case .object(let object)?:
            guard let count = object["retry"].flatMap(scalarText) else {
                throw JobDefinitionError("\(label): 'retry' as a map needs 'retry' (the count)")
            }
            return RetryPolicy(count: count, delay: object["delay"].flatMap(scalarText) ?? map["retryDelay"].flatMap(scalarText) ?? "")
        case let value?:
            guard let count = scalarText(value) else { throw JobDefinitionError("\(label): 'retry' must be a number or {retry, delay}") }
            return RetryPolicy(count: count, delay: map["retryDelay"].flatMap(scalarText) ?? "")
        }
    }

    // MARK: Options

    static func decodeOptions(_ value: Value?, label: String) throws(JobDefinitionError) -> [JobOption] {
        var maps: [(String?, ValueObject)] = []
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            for item in items {
                guard case .object(let map) = item else { throw JobDefinitionError("\(label): each option must be a map with a 'name'") }
                maps.append((nil, map))
            }
        case .object(let byName)?:
            for entry in byName {
                guard case .object(let map) = entry.value else { throw JobDefinitionError("\(label): option '\(entry.key)' must be a map") }
                maps.append((entry.key, map))
            }
        default:
            throw JobDefinitionError("\(label): 'options' must be a list of options")
        }
        var options: [JobOption] = []
        var names = Set<String>()
        for (key, map) in maps {
            guard let name = map["name"].flatMap(scalarText) ?? key, !name.isEmpty else {
                throw JobDefinitionError("\(label): an option has no 'name'")
            }
            var option = JobOption(name: name)
            option.description = map["description"].flatMap(scalarText) ?? ""
            option.label = map["label"].flatMap(scalarText)
            option.defaultValue = map["value"].flatMap(scalarText)
            option.valuesListDelimiter = map["valuesListDelimiter"].flatMap(scalarText) ?? ","
            switch map["values"] {
            case .array(let items)?: option.values = items.compactMap(scalarText)
            case let scalar?:
                if let text = scalarText(scalar) {
                    option.values = text.split(separator: Character(option.valuesListDelimiter.first.map(String.init) ?? ","))
                        .map { $0.trimmingSpaces() }
                }
            case nil: break
            }
            option.required = truthy(map["required"])
            option.enforced = truthy(map["enforced"])
            option.regex = map["regex"].flatMap(scalarText)
            option.multivalued = truthy(map["multivalued"])
            option.delimiter = map["delimiter"].flatMap(scalarText) ?? ","
            option.secure = truthy(map["secure"])
            option.valueExposed = truthy(map["valueExposed"])
            option.storagePath = map["storagePath"].flatMap(scalarText)
            option.valuesURL = map["valuesUrl"].flatMap(scalarText).flatMap { $0.isEmpty ? nil : $0 }
            guard names.insert(name).inserted else {
                throw JobDefinitionError("\(label): option '\(name)' is defined twice")
            }
            options.append(option)
        }
        return options
    }

    // MARK: Steps

    static func decodeSteps(_ commands: [Value], label: String) throws(JobDefinitionError) -> [WorkflowStep] {
        var steps: [WorkflowStep] = []
        for (index, command) in commands.enumerated() {
            guard case .object(let map) = command else {
                throw JobDefinitionError("\(label), step \(index + 1): a step must be a map (exec, script, type, jobref, ...)")
            }
            steps.append(try decodeStep(map, label: "\(label), step \(index + 1)", allowHandler: true))
        }
        return steps
    }

    /// Every key a Rundeck step map has (CommandExec, JobExec and PluginStep `toMap`; and the
    /// conditional step's, which validation then refuses by its type).
    static let knownStepKeys: [String] = [
        "exec", "script", "scriptfile", "scripturl", "args", "scriptInterpreter", "interpreterArgsQuoted", "fileExtension",
        "expandTokenInScriptFile", "jobref", "type", "nodeStep", "configuration", "description", "errorhandler", "keepgoingOnSuccess",
        "plugins", "conditionGroups", "subSteps",
    ]

    static func decodeStep(_ map: ValueObject, label: String, allowHandler: Bool) throws(JobDefinitionError) -> WorkflowStep {
        // A misspelled key (`configuraton`) would otherwise leave the step without what it names.
        for key in map.keys where !knownStepKeys.contains(key) {
            let hint = nearest(to: key, in: knownStepKeys).map { "; did you mean '\($0)'?" } ?? ""
            throw JobDefinitionError("\(label): '\(key)' is not a step field\(hint)")
        }
        let kind: WorkflowStep.Kind
        let args = map["args"].flatMap(scalarText) ?? ""
        let interpreter = map["scriptInterpreter"].flatMap(scalarText)
        let argsQuoted = truthy(map["interpreterArgsQuoted"])
        if map["type"] == nil, let exec = map["exec"] {
            guard let text = scalarText(exec) else { throw JobDefinitionError("\(label): 'exec' must be a command line") }
            kind = .exec(text)
        } else if map["type"] == nil, let script = map["script"] {
            guard let text = scalarText(script) else { throw JobDefinitionError("\(label): 'script' must be text") }
            kind = .script(body: text, args: args, interpreter: interpreter, argsQuoted: argsQuoted, fileExtension: map["fileExtension"].flatMap(scalarText))
        } else if map["type"] == nil, let file = map["scriptfile"] {
            guard let text = scalarText(file) else { throw JobDefinitionError("\(label): 'scriptfile' must be a path") }
            kind = .scriptFile(path: text, args: args, interpreter: interpreter, argsQuoted: argsQuoted, expandTokens: truthy(map["expandTokenInScriptFile"]))
        } else if map["type"] == nil, let url = map["scripturl"] {
            kind = .scriptURL(scalarText(url) ?? "")
        } else if case .object(let ref)? = map["jobref"] {
            let name = ref["name"].flatMap(scalarText)
            let uuid = ref["uuid"].flatMap(scalarText)
            guard name != nil || uuid != nil else { throw JobDefinitionError("\(label): 'jobref' needs a 'name' (and 'group') or a 'uuid'") }
            kind = .jobRef(JobReference(
                name: name, group: ref["group"].flatMap(scalarText), uuid: uuid, args: ref["args"].flatMap(scalarText) ?? "",
                useName: truthy(ref["useName"]), importOptions: truthy(ref["importOptions"])))
        } else if let type = map["type"].flatMap(scalarText), let command = try builtInCommand(type, map["configuration"], label: label) {
            kind = command
        } else if let type = map["type"].flatMap(scalarText), !type.isEmpty {
            var configuration: [String: String] = [:]
            switch map["configuration"] {
            case nil, .null?: break
            case .object(let object)?:
                for entry in object {
                    switch entry.value {
                    case .null: continue
                    case .array, .object: configuration[entry.key] = JSONWriter.write(entry.value)
                    default: configuration[entry.key] = entry.value.text
                    }
                }
            default:
                throw JobDefinitionError("\(label): 'configuration' must be a map of property: value")
            }
            kind = .plugin(type: type, configuration: configuration, nodeStep: truthy(map["nodeStep"]))
        } else {
            throw JobDefinitionError("\(label): a step needs one of exec, script, scriptfile, jobref or type")
        }
        // `keepgoingOnSuccess` counts only inside `errorhandler`: Rundeck reads the handler's map
        // for it and ignores one written beside it (WorkflowDataImpl.groovy 110-117).
        var handler: WorkflowStep?
        var keepgoingOnSuccess = false
        if let handlerValue = map["errorhandler"] {
            guard allowHandler else { throw JobDefinitionError("\(label): an error handler cannot have its own error handler") }
            guard case .object(let handlerMap) = handlerValue else {
                throw JobDefinitionError("\(label): 'errorhandler' must be a map holding one step")
            }
            // Rundeck refuses to save a node step whose handler is a workflow step
            // (WorkflowStepDataImpl.groovy 39-42): the handler runs on each failed node.
            if isNodeStep(map) && !isNodeStep(handlerMap) {
                throw JobDefinitionError("\(label): Must have a Node Step as an Error Handler (Rundeck refuses to save this job): the step runs on nodes, so its handler must be a command, a script, or a step with nodeStep: true, not a workflow step such as flow-control")
            }
            handler = try decodeStep(handlerMap, label: label + ", error handler", allowHandler: false)
            keepgoingOnSuccess = truthy(handlerMap["keepgoingOnSuccess"])
        }
        var filters: [LogFilterConfig] = []
        if case .object(let plugins)? = map["plugins"] {
            filters = try logFilters(plugins["LogFilter"], label: label)
        }
        return WorkflowStep(
            kind: kind, description: map["description"].flatMap(scalarText), errorHandler: handler,
            keepgoingOnSuccess: keepgoingOnSuccess, logFilters: filters)
    }

    /// The keys of Rundeck's command, script and script-file steps in plugin form
    /// (BaseCommandExec.convertToPluginConfig).
    static let commandConfigurationKeys = [
        "argString", "adhocRemoteString", "adhocLocalString", "adhocFilepath", "adhocExecution", "scriptInterpreter",
        "fileExtension", "interpreterArgsQuoted", "expandTokenInScriptFile",
    ]

    /// `type: exec-command` (`adhocRemoteString`), `script-inline` (`adhocLocalString`) and
    /// `script-file-url` (`adhocFilepath`): the plugin form of `exec`, `script` and `scriptfile`
    /// that Rundeck writes for them (ExecCommand, ScriptCommand, ScriptFileCommand). Nil for
    /// any other type.
    static func builtInCommand(_ type: String, _ configuration: Value?, label: String) throws(JobDefinitionError) -> WorkflowStep.Kind? {
        let field: String
        switch type {
        case "exec-command": field = "adhocRemoteString"
        case "script-inline": field = "adhocLocalString"
        case "script-file-url": field = "adhocFilepath"
        default: return nil
        }
        var config = ValueObject()
        switch configuration {
        case nil, .null?: break
        case .object(let object)?: config = object
        default: throw JobDefinitionError("\(label): 'configuration' must be a map of property: value")
        }
        for entry in config where !commandConfigurationKeys.contains(entry.key) {
            let hint = nearest(to: entry.key, in: commandConfigurationKeys).map { "; did you mean '\($0)'?" } ?? ""
            throw JobDefinitionError("\(label): \(type) has no property '\(entry.key)'\(hint)")
        }
        guard let text = config[field].flatMap(scalarText), !text.isEmpty else {
            throw JobDefinitionError("\(label): \(type) needs '\(field)' in its configuration")
        }
        let args = config["argString"].flatMap(scalarText) ?? ""
        let interpreter = config["scriptInterpreter"].flatMap(scalarText)
        let argsQuoted = truthy(config["interpreterArgsQuoted"])
        switch type {
        case "exec-command": return .exec(text)
        case "script-inline":
            return .script(body: text, args: args, interpreter: interpreter, argsQuoted: argsQuoted, fileExtension: config["fileExtension"].flatMap(scalarText))
        default:
            return .scriptFile(path: text, args: args, interpreter: interpreter, argsQuoted: argsQuoted, expandTokens: truthy(config["expandTokenInScriptFile"]))
        }
    }

    /// True for a node step as Rundeck decides it (PluginStep.fromMap, JobExec.jobExecFromMap):
    /// commands and scripts always; a job reference or plugin step when it says `nodeStep: true`.
    static func isNodeStep(_ map: ValueObject) -> Bool {
        if case .object(let ref)? = map["jobref"] { return truthy(ref["nodeStep"]) }
        if let type = map["type"].flatMap(scalarText) {
            return ["exec-command", "script-inline", "script-file-url"].contains(type) || truthy(map["nodeStep"])
        }
        return true
    }

    static func logFilters(_ value: Value?, label: String) throws(JobDefinitionError) -> [LogFilterConfig] {
        guard let value, !value.isNull else { return [] }
        let items: [Value]
        switch value {
        case .array(let list): items = list
        case .object: items = [value]
        default: throw JobDefinitionError("\(label): 'LogFilter' must be a list of {type, config}")
        }
        var filters: [LogFilterConfig] = []
        for item in items {
            guard case .object(let map) = item, let type = map["type"].flatMap(scalarText) else {
                throw JobDefinitionError("\(label): each log filter needs a 'type'")
            }
            var config: [String: String] = [:]
            if case .object(let object)? = map["config"] {
                for entry in object where !entry.value.isNull { config[entry.key] = entry.value.text }
            }
            filters.append(LogFilterConfig(type: type, config: config))
        }
        return filters
    }

    /// A scalar as text (`true`, `3`, `abc`); nil for lists and maps.
    static func scalarText(_ value: Value) -> String? {
        switch value {
        case .array, .object: return nil
        case .null: return nil
        default: return value.text
        }
    }

    /// Rundeck reads these flags loosely; `true`, `'true'`, `yes` are true, anything else false.
    static func truthy(_ value: Value?) -> Bool {
        switch value {
        case .bool(let b)?: return b
        case .string(let s)?: return parseBoolean(s) ?? false
        case .int(let i)?: return i != 0
        default: return false
        }
    }
}
