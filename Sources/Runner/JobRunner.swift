import Foundation
import Settings
import StepKit
import Synchronization
import Values

/// What `pdstep run` asks for.
public struct RunRequest: Sendable {
    /// `-o name=value` values.
    public var options: [String: String]
    /// Resolve everything and print what each step would do; send and execute nothing.
    public var dryRun: Bool
    /// Run a job whose node filter names other nodes on the local node anyway.
    public var ignoreNodeFilter: Bool
    /// Working directory of exec and script steps.
    public var directory: String
    /// Environment the exec and script steps start from (the RD_* variables are added).
    public var environment: [String: String]

    public init(
        options: [String: String] = [:], dryRun: Bool = false, ignoreNodeFilter: Bool = false,
        directory: String = FileManager.default.currentDirectoryPath,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.options = options
        self.dryRun = dryRun
        self.ignoreNodeFilter = ignoreNodeFilter
        self.directory = directory
        self.environment = environment
    }
}

/// How a run ended.
public struct RunOutcome: Sendable {
    public var state: JobState
    /// The custom flow-control status, if any.
    public var status: String?
    public var exitCode: ExitCode
    /// Labels of the steps that failed.
    public var failedSteps: [String]
    /// The data variables at the end (`data.*`, `export.*`), for callers and tests.
    public var data: DataContext
}

/// Runs jobs step by step on the local node, with Rundeck's workflow semantics
/// (reference: rundeck.md section 7).
public struct JobRunner: Sendable {
    public let catalog: StepCatalog
    public let settings: Settings
    public let keyStorage: KeyStorage
    public let log: ExecutionLog
    /// Every job of the file (or folder) the job came from, for job references.
    public let jobs: [Job]

    public init(catalog: StepCatalog, settings: Settings, keyStorage: KeyStorage, log: ExecutionLog, jobs: [Job]) {
        self.catalog = catalog.adding(BuiltInSteps.all)
        self.settings = settings
        self.keyStorage = keyStorage
        self.log = log
        self.jobs = jobs
    }

    var redactor: SecretRedactor { log.redactor }

    // MARK: Job

    /// What would stop `job` from running (empty when it is fine); runs nothing.
    public func validate(_ job: Job, ignoreNodeFilter: Bool = false) -> [String] {
        JobValidator(runner: self).problems(in: job, ignoreNodeFilter: ignoreNodeFilter)
    }

    /// Validates and runs `job`, with its retries and timeout.
    public func run(_ job: Job, _ request: RunRequest) async -> RunOutcome {
        log.setLevel(job.logLevel)
        let problems = JobValidator(runner: self).problems(in: job, ignoreNodeFilter: request.ignoreNodeFilter)
        if !problems.isEmpty {
            for problem in problems { log.emit(.note(level: .error, message: problem)) }
            return RunOutcome(state: .failed, exitCode: .invalidInput, failedSteps: [], data: DataContext())
        }
        if !job.ignoredFields.isEmpty {
            log.emit(.note(level: .normal, message: "ignored (no meaning outside a Rundeck server): \(job.ignoredFields.joined(separator: ", "))"))
        }
        if job.nodeFilter.map(JobValidator.dispatchesToOtherNodes) == true {
            log.emit(.note(level: .warn, message: "the node filter '\(job.nodeFilter ?? "")' is ignored (--ignore-node-filter); running on the local node"))
        }
        let execution = Execution(id: ExecutionID.next(), uuid: ExecutionID.uuid())
        var attempt = 0
        var retryMax = 0
        var retryDelay = 0.0
        while true {
            var state = RunState(job: job, execution: execution, attempt: attempt, request: request)
            state.data.groups["job"] = jobContext(job, execution: execution, attempt: attempt)
            state.data.groups["globals"] = globals()
            state.data.groups["node"] = nodeContext(request.environment)
            do {
                let options = try OptionResolver(options: job.options, keyStorage: keyStorage, redactor: redactor)
                    .resolve(request.options, globals: state.data.groups["globals"] ?? [:], job: state.data.groups["job"] ?? [:])
                state.data.groups["option"] = options.visible
                state.data.groups["secureOption"] = options.secure.filter { options.visible[$0.key] != nil }
            } catch {
                log.emit(.note(level: .error, message: error.description))
                return RunOutcome(state: .failed, exitCode: .invalidInput, failedSteps: [], data: state.data)
            }
            // Options may set these; what they expand to is checked like a literal would be.
            var problems: [String] = []
            if attempt == 0, let retry = job.retry {
                let count = state.data.expand(retry.count, unresolved: .keep)
                if let problem = RundeckDuration.retryCountProblem(count) { problems.append("retry '\(count)' \(problem)") }
                retryMax = Int(count.trimmingCharacters(in: .whitespaces)) ?? 0
                let delay = state.data.expand(retry.delay, unresolved: .keep)
                if !delay.isEmpty, let problem = RundeckDuration.problem(delay) { problems.append("retry delay '\(delay)' \(problem)") }
                retryDelay = RundeckDuration.seconds(delay) ?? 0
            }
            var timeout: Double?
            if let text = job.timeout, !text.isEmpty {
                let expanded = state.data.expand(text, unresolved: .keep)
                if let problem = RundeckDuration.problem(expanded) { problems.append("timeout '\(expanded)' \(problem)") }
                timeout = RundeckDuration.seconds(expanded)
            }
            if !problems.isEmpty {
                for problem in problems { log.emit(.note(level: .error, message: "job \(job.fullName): \(problem)")) }
                return RunOutcome(state: .failed, exitCode: .invalidInput, failedSteps: [], data: state.data)
            }
            log.emit(.jobStarted(job: job.fullName, execid: execution.id, attempt: attempt, dryRun: request.dryRun))
            let started = DispatchTime.now()
            let outcome = await runAttempt(state, timeout: timeout)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
            log.emit(.jobFinished(
                job: job.fullName, state: outcome.state, status: outcome.status, milliseconds: elapsed,
                steps: outcome.stepsRun, failed: outcome.failedSteps))
            if outcome.state == .succeeded || request.dryRun || attempt >= retryMax {
                return outcome.runOutcome
            }
            attempt += 1
            log.emit(.note(level: .normal, message: "retrying the job (retry \(attempt) of \(retryMax))\(retryDelay > 0 ? " in \(formatDuration(retryDelay * 1000))" : "")"))
            if retryDelay > 0 { try? await Task.sleep(nanoseconds: boundedNanoseconds(retryDelay)) }
        }
    }

    /// One run of the workflow, ended early by the timeout.
    private func runAttempt(_ state: RunState, timeout: Double?) async -> AttemptResult {
        guard let timeout else {
            var state = state
            return await runWorkflow(state.job.workflow, context: "", state: &state)
        }
        let result: AttemptResult? = await withTaskGroup(of: AttemptResult?.self) { group in
            group.addTask {
                var state = state
                return await runWorkflow(state.job.workflow, context: "", state: &state)
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: boundedNanoseconds(timeout))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let result { return result }
        log.emit(.note(level: .error, message: "the job ran out of time (timeout \(state.job.timeout ?? ""))"))
        return AttemptResult(state: .timedout, status: nil, exitCode: .timedOut, stepsRun: 0, failedSteps: ["timeout"], data: state.data)
    }

    // MARK: Workflow

    /// Runs the steps of a workflow. `context` prefixes step numbers inside job references.
    func runWorkflow(_ workflow: Workflow, context prefix: String, state: inout RunState) async -> AttemptResult {
        let total = workflow.steps.count
        var failed: [String] = []
        var firstError: StepError?
        var ran = 0
        for (index, step) in workflow.steps.enumerated() {
            if Task.isCancelled { break }
            let number = prefix.isEmpty ? "\(index + 1)" : "\(prefix)/\(index + 1)"
            ran += 1
            log.emit(.stepStarted(context: number, total: total, label: step.label))
            let started = DispatchTime.now()
            var outcome = await execute(step, number: number, workflow: workflow, state: &state)
            var stepState: StepState = outcome.error == nil ? (state.request.dryRun ? .planned : .succeeded) : .failed
            var message = outcome.error?.description ?? (state.request.dryRun ? outcome.summary : nil)
            var keepGoing = workflow.keepgoing
            if let error = outcome.error, let handler = step.errorHandler, !state.request.dryRun {
                // The handler sees why the step failed.
                var handlerState = state
                handlerState.data.groups["result"] = [
                    "reason": error.rundeckReason, "message": error.message,
                    "resultCode": outcome.resultCode.map(String.init) ?? "",
                ]
                log.emit(.log(context: number, level: .normal, message: "running the error handler: \(handler.label)"))
                let handled = await execute(handler, number: number, workflow: workflow, state: &handlerState)
                state.data = handlerState.data
                state.data.groups["result"] = nil
                if let halt = handled.halt { outcome.halt = halt }
                if handled.error == nil && (workflow.keepgoing || step.keepgoingOnSuccess) {
                    // keepgoing: the handler's result replaces the step's; otherwise only
                    // keepgoingOnSuccess lets a successful handler count.
                    outcome.error = nil
                    stepState = .recovered
                    keepGoing = true
                    message = "handled: " + (error.message)
                } else if let handlerError = handled.error {
                    log.emit(.log(context: number, level: .error, message: "the error handler failed too: \(handlerError.description)"))
                }
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
            log.emit(.stepFinished(context: number, total: total, label: step.label, state: stepState, milliseconds: elapsed, message: message))
            if let error = outcome.error {
                failed.append("[\(number)] \(step.label)")
                firstError = firstError ?? error
            }
            if let halt = outcome.halt {
                let haltState: JobState = halt.status != nil ? .other : (halt.fail ? .failed : .succeeded)
                let code: ExitCode = haltState == .succeeded && failed.isEmpty ? .success : .failed
                return AttemptResult(
                    state: failed.isEmpty ? haltState : .failed, status: halt.status, exitCode: failed.isEmpty ? code : exitCode(firstError),
                    stepsRun: ran, failedSteps: failed, data: state.data)
            }
            if outcome.error != nil && !keepGoing { break }
        }
        if Task.isCancelled && failed.isEmpty && ran < total {
            return AttemptResult(state: .timedout, status: nil, exitCode: .timedOut, stepsRun: ran, failedSteps: [], data: state.data)
        }
        if failed.isEmpty {
            return AttemptResult(state: .succeeded, status: nil, exitCode: .success, stepsRun: ran, failedSteps: [], data: state.data)
        }
        return AttemptResult(state: .failed, status: nil, exitCode: exitCode(firstError), stepsRun: ran, failedSteps: failed, data: state.data)
    }

    /// A failed run's exit code: its first error's (a failure never exits 0).
    private func exitCode(_ error: StepError?) -> ExitCode {
        let code = error?.exitCode ?? .failed
        return code == .success ? .failed : code
    }

    // MARK: Steps

    /// Runs one step (or error handler) and merges what it produced into the context.
    func execute(_ step: WorkflowStep, number: String, workflow: Workflow, state: inout RunState) async -> StepOutcome {
        var outcome: StepOutcome
        do {
            var filters = try OutputFilters(step.logFilters + workflow.logFilters)
            if !filters.ignoredTypes.isEmpty {
                log.emit(.log(context: number, level: .verbose, message: "display-only log filters ignored: \(filters.ignoredTypes.joined(separator: ", "))"))
            }
            switch step.kind {
            case .exec(let command):
                var values = ShellSubstitution()
                let line = try shellChecked { () throws(ShellSubstitution.Refusal) in try values.expandCommand(command, resolve: state.data.resolve) }
                outcome = try await runCommand(
                    ["/bin/sh", "-c", line], display: displayCommand(command, state.data), values: values.variables, number: number,
                    filters: &filters, state: state)
            case .script(let body, let args, let interpreter, let quoted, let ext):
                outcome = try await runScript(
                    body, expandTokens: true, args: args, interpreter: interpreter, quoted: quoted, ext: ext, number: number, filters: &filters, state: state)
            case .scriptFile(let path, let args, let interpreter, let quoted, let expandTokens):
                let expandedPath = state.data.expand(path, unresolved: .keep)
                let full = expandedPath.hasPrefix("/") ? expandedPath : (state.request.directory as NSString).appendingPathComponent(expandedPath)
                guard let data = FileManager.default.contents(atPath: full) else {
                    throw StepError(.failed, "script file \(expandedPath) cannot be read")
                }
                outcome = try await runScript(
                    String(decoding: data, as: UTF8.self), expandTokens: expandTokens, args: args, interpreter: interpreter, quoted: quoted,
                    ext: nil, number: number, filters: &filters, state: state)
            case .scriptURL(let url):
                throw StepError.invalid("scripturl steps are not supported (\(url)); download the script and use scriptfile")
            case .jobRef(let reference):
                outcome = try await runReference(reference, number: number, state: &state)
            case .plugin(let type, let configuration, _):
                outcome = try await runPlugin(type, configuration: configuration, number: number, state: state)
            }
            for note in filters.finish() { log.emit(.log(context: number, level: .normal, message: note)) }
            outcome.data.append(contentsOf: filters.data)
        } catch let error as StepError {
            outcome = StepOutcome(error: error)
        } catch {
            outcome = StepOutcome(error: StepError(error))
        }
        merge(outcome, number: number, state: &state)
        return outcome
    }

    /// Stores a step's data in the global scope and in the step's own scope (`${N:data.k}`).
    private func merge(_ outcome: StepOutcome, number: String, state: inout RunState) {
        for (key, value) in outcome.data {
            state.data.set("data", key, value)
            state.data.steps[number, default: [:]]["data", default: [:]][key] = value
            log.emit(.dataCaptured(context: number, key: "data." + key, value: value))
        }
        for (group, values) in outcome.variables {
            for (key, value) in values {
                state.data.set(group, key, value)
                state.data.steps[number, default: [:]][group, default: [:]][key] = value
                log.emit(.dataCaptured(context: number, key: "\(group).\(key)", value: value))
            }
        }
    }

    /// A command as the log and dry runs show it: values in place, quoted as one word each, a
    /// secret value masked whatever its length. Never run; the command that runs carries its
    /// values out of band (`ShellSubstitution`).
    func displayCommand(_ text: String, _ data: DataContext) -> String {
        VariableExpander.expand(text, unresolved: .blankOptionsOnly, resolve: data.resolve) { reference, value, _ in
            if redactor.isSecret(value) { return SecretRedactor.mask }
            return reference.group == "unquotedoption" ? value : ShellSubstitution.shellWord(value)
        }
    }

    private func shellChecked<T>(_ body: () throws(ShellSubstitution.Refusal) -> T) throws(StepError) -> T {
        do {
            return try body()
        } catch {
            // A runtime value (an option, data from an earlier step): steps may have run already.
            throw StepError(.failed, error.description)
        }
    }

    private func runScript(
        _ body: String, expandTokens: Bool, args: String, interpreter: String?, quoted: Bool, ext: String?, number: String,
        filters: inout OutputFilters, state: RunState
    ) async throws -> StepOutcome {
        let shebang = Self.shebang(body)
        var values = ShellSubstitution()
        var script = body
        if expandTokens {
            // `@option.x@` tokens: out of band when a POSIX shell runs the script; other
            // interpreters get the text, as Rundeck gives it (see README, Security).
            if Self.runsInShell(interpreter: interpreter, shebang: shebang) {
                script = try shellChecked { () throws(ShellSubstitution.Refusal) in try values.expandShellScript(body, resolve: state.data.resolve) }
            } else {
                script = VariableExpander.expandScriptTokens(body, resolve: state.data.resolve)
            }
        }
        let argsInline = quoted && !(interpreter ?? "").isEmpty
        let expandedArgs = try shellChecked { () throws(ShellSubstitution.Refusal) in
            try values.expandCommand(args, inline: argsInline, resolve: state.data.resolve)
        }
        let displayArgs = displayCommand(args, state.data)
        let display = "script" + (displayArgs.isEmpty ? "" : " " + displayArgs)
        if state.request.dryRun { return StepOutcome(summary: "would run: \(display)") }

        let folder = try PrivateFolder(environment: state.request.environment)
        defer { folder.remove() }
        let file = folder.path + "/step-\(number.replacing("/", with: "-"))-script" + (ext.map { $0.hasPrefix(".") ? $0 : "." + $0 } ?? "")
        if let why = Self.writeScript(Array(script.utf8), to: file) {
            throw StepError(.failed, "cannot write the script to \(file): \(why)")
        }
        let quotedFile = ShellSubstitution.shellWord(file)
        let command: String
        if let interpreter, !interpreter.isEmpty {
            // interpreterArgsQuoted: the interpreter gets "file args" as one argument (sudo -c
            // style), and the shell it starts parses them: values are quoted text there.
            command = quoted ? "\(interpreter) \(ShellSubstitution.shellWord(file + (expandedArgs.isEmpty ? "" : " " + expandedArgs)))" : "\(interpreter) \(quotedFile) \(expandedArgs)"
        } else if let shebang {
            // The interpreter line is run as the kernel would run it, rather than executing the
            // file: that works where the temporary folder is mounted noexec, and cannot fail
            // with "Text file busy" when another thread forks while the file is being written.
            command = (shebang + [file]).map(ShellSubstitution.shellWord).joined(separator: " ") + " \(expandedArgs)"
        } else {
            command = "/bin/sh \(quotedFile) \(expandedArgs)"
        }
        return try await runCommand(["/bin/sh", "-c", command], display: display, values: values.variables, number: number, filters: &filters, state: state)
    }

    /// Whether a POSIX shell reads the script: no interpreter and no `#!` line (`/bin/sh`), or
    /// one naming sh, bash, dash, ksh, zsh or ash (directly or through `env`).
    static func runsInShell(interpreter: String?, shebang: [String]?) -> Bool {
        let words: [String]
        if let interpreter, !interpreter.isEmpty {
            words = interpreter.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        } else if let shebang {
            words = shebang.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        } else {
            return true
        }
        func name(_ word: String) -> String { String(word.split(separator: "/").last ?? "") }
        var program = words.first.map(name) ?? ""
        if program == "env", let next = words.dropFirst().first(where: { !$0.hasPrefix("-") }) { program = name(next) }
        return ["sh", "bash", "dash", "ksh", "zsh", "ash", "mksh"].contains(program)
    }

    /// A script's `#!` line split as Linux splits it: the program, then everything after it
    /// (trimmed) as one argument. nil without one.
    static func shebang(_ body: String) -> [String]? {
        let bytes = Array(body.utf8.prefix { $0 != UInt8(ascii: "\n") })
        guard bytes.starts(with: Array("#!".utf8)) else { return nil }
        let line = String(decoding: bytes.dropFirst(2), as: UTF8.self).trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
        guard let program = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first else { return nil }
        let argument = line.dropFirst(program.count).trimmingCharacters(in: .whitespaces)
        return [String(program)] + (argument.isEmpty ? [] : [argument])
    }

    /// Writes a script owner-only, through a descriptor closed on exec (a command spawned by
    /// another thread meanwhile does not inherit it). Answers why not, or nil.
    static func writeScript(_ bytes: [UInt8], to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o700)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return String(cString: strerror(errno)) }
            written += count
        }
        return nil
    }

    /// Runs a command; `values` are the out-of-band values its text refers to.
    private func runCommand(
        _ argv: [String], display: String, values: [String: String], number: String, filters: inout OutputFilters, state: RunState
    ) async throws -> StepOutcome {
        if state.request.dryRun {
            return StepOutcome(summary: "would run: \(display)")
        }
        var environment = state.request.environment
        environment.merge(state.data.environment()) { $1 }
        environment.merge(values) { $1 }
        let box = FilterBox(filters)
        let log = self.log
        let result = try await LocalCommand.run(
            argv, environment: environment, directory: state.request.directory,
            onStdout: { line in
                if box.process(line) { log.emit(.log(context: number, level: .normal, message: line)) }
            },
            onStderr: { line in log.emit(.log(context: number, level: .error, message: line)) })
        filters = box.filters
        if Task.isCancelled { throw StepError(.timedOut, "interrupted: the job ran out of time") }
        guard result.exitCode == 0 else {
            var error = StepError(.failed, result.signalled ? "the command was killed by signal \(result.exitCode)" : "the command exited with code \(result.exitCode)")
            error.reason = "NonZeroResultCode"
            var outcome = StepOutcome(error: error)
            outcome.resultCode = result.exitCode
            return outcome
        }
        return StepOutcome(summary: "exit 0")
    }

    private func runPlugin(_ type: String, configuration: [String: String], number: String, state: RunState) async throws(StepError) -> StepOutcome {
        guard let stepType = catalog.step(type: type) else {
            throw StepError.invalid("unknown step type '\(type)'")
        }
        var expanded: [String: String] = [:]
        for (key, value) in configuration {
            expanded[key] = state.request.dryRun
                ? VariableExpander.expand(value, unresolved: .blank) { reference in
                    state.data.resolve(reference) ?? (reference.group == "data" || reference.group == "export" ? "${\(reference.group).\(reference.key)}" : nil)
                }
                : state.data.expand(value, unresolved: .blank)
        }
        let context = StepContext(
            settings: settings, keyStorage: keyStorage, redactor: redactor, data: state.data, dryRun: state.request.dryRun,
            log: log.sink(context: number))
        let result = try await StepRunner.run(stepType, sources: ConfigSources(job: expanded, settings: settings), context: context)
        if !result.summary.isEmpty && !state.request.dryRun {
            log.emit(.log(context: number, level: .verbose, message: result.summary))
        }
        if state.request.dryRun, let plan = result.response {
            log.emit(.log(context: number, level: .normal, message: JSONWriter.write(redactor.redact(plan), options: .pretty)))
        }
        var outcome = StepOutcome(summary: result.summary)
        outcome.data = result.outputs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        outcome.variables = result.variables
        outcome.halt = result.halt
        return outcome
    }

    private func runReference(_ reference: JobReference, number: String, state: inout RunState) async throws(StepError) -> StepOutcome {
        guard let target = JobValidator.find(reference, in: jobs) else {
            throw StepError.invalid("referenced job \(reference.displayName) is not in this file")
        }
        guard state.depth < 8 else { throw StepError.invalid("job references nest deeper than 8 levels (does a job reference itself?)") }
        // Arguments: `-name value` pairs, expanded first.
        let words = LocalCommand.splitArguments(state.data.expand(reference.args, unresolved: .blankOptionsOnly))
        var supplied: [String: String] = [:]
        var i = 0
        while i < words.count {
            guard words[i].hasPrefix("-"), words[i].count > 1 else {
                throw StepError.invalid("job reference arguments are '-option value' pairs; '\(words[i])' is not an option name")
            }
            let name = String(words[i].dropFirst())
            supplied[name] = i + 1 < words.count && !words[i + 1].hasPrefix("-") ? words[i + 1] : ""
            i += supplied[name]?.isEmpty == false ? 2 : 1
        }
        if state.request.dryRun {
            log.emit(.log(context: number, level: .normal, message: "would run job \(target.fullName) with \(supplied.map { "-\($0.key) \($0.value)" }.sorted().joined(separator: " "))"))
        }
        var child = RunState(job: target, execution: state.execution, attempt: state.attempt, request: state.request)
        child.depth = state.depth + 1
        child.data.groups["job"] = jobContext(target, execution: state.execution, attempt: state.attempt)
        child.data.groups["globals"] = state.data.groups["globals"]
        child.data.groups["node"] = state.data.groups["node"]
        let options = try OptionResolver(options: target.options, keyStorage: keyStorage, redactor: redactor)
            .resolve(supplied, globals: state.data.groups["globals"] ?? [:], job: child.data.groups["job"] ?? [:])
        child.data.groups["option"] = options.visible
        let result = await runWorkflow(target.workflow, context: number, state: &child)
        var outcome = StepOutcome(summary: "job \(target.fullName) \(result.state.rawValue)")
        // The `export` group travels up to the calling job, as in Rundeck.
        if let exported = child.data.groups["export"] { outcome.variables["export"] = exported }
        if result.state != .succeeded {
            outcome.error = StepError(.failed, "referenced job \(target.fullName) \(result.status ?? result.state.rawValue)")
        }
        return outcome
    }

    // MARK: Context

    func jobContext(_ job: Job, execution: Execution, attempt: Int) -> [String: String] {
        let user = ProcessInfo.processInfo.environment["USER"] ?? "pdstep"
        return [
            "name": job.name, "group": job.group, "id": job.uuid ?? "", "execid": execution.id, "executionUuid": execution.uuid,
            "project": settings.value("project.name") ?? "pdstep", "username": user, "user.name": user,
            "loglevel": job.logLevel == .normal ? "INFO" : job.logLevel.description,
            "retryAttempt": String(attempt), "wasRetry": attempt > 0 ? "true" : "false",
        ]
    }

    /// `framework.globals.X`, overridden by `project.globals.X`.
    func globals() -> [String: String] {
        var globals: [String: String] = [:]
        for prefix in ["framework.globals.", "project.globals."] {
            for setting in settings.all where setting.key.hasPrefix(prefix) {
                globals[String(setting.key.dropFirst(prefix.count))] = setting.value
            }
        }
        return globals
    }

    func nodeContext(_ environment: [String: String]) -> [String: String] {
        [
            "name": "localhost", "hostname": "localhost", "username": environment["USER"] ?? "",
            "os-family": "unix", "os-name": "Linux", "description": "the local node", "tags": "",
        ]
    }
}

/// One execution's identity: `${job.execid}` and `${job.executionUuid}`.
struct Execution: Sendable, Hashable {
    var id: String
    var uuid: String
}

/// The mutable state of one run.
struct RunState: Sendable {
    var job: Job
    var execution: Execution
    var attempt: Int
    var request: RunRequest
    var data = DataContext()
    var depth = 0

    init(job: Job, execution: Execution, attempt: Int, request: RunRequest) {
        self.job = job
        self.execution = execution
        self.attempt = attempt
        self.request = request
    }
}

/// What one step did.
struct StepOutcome: Sendable {
    var error: StepError?
    var resultCode: Int32?
    var data: [(String, String)] = []
    var variables: [String: [String: String]] = [:]
    var halt: Halt?
    var summary = ""

    init(error: StepError? = nil, summary: String = "") {
        self.error = error
        self.summary = summary
    }
}

struct AttemptResult: Sendable {
    var state: JobState
    var status: String?
    var exitCode: ExitCode
    var stepsRun: Int
    var failedSteps: [String]
    var data: DataContext

    var runOutcome: RunOutcome {
        RunOutcome(state: state, status: status, exitCode: exitCode, failedSteps: failedSteps, data: data)
    }
}

/// The output filters, shared with the thread that reads a command's standard output.
final class FilterBox: Sendable {
    private let state: Mutex<OutputFilters>
    init(_ filters: OutputFilters) { state = Mutex(filters) }
    /// Runs a line through the filters; false when it should be hidden.
    func process(_ line: String) -> Bool { state.withLock { $0.process(line) } }
    var filters: OutputFilters { state.withLock { $0 } }
}
