#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
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
    /// `${job.username}`: who runs the job (nil: the OS user).
    public var user: String?
    /// `${job.user.email}` (nil: not set, as in Rundeck for a user without an address).
    public var userEmail: String?
    /// The first attempt's execution id (nil: a new one). `pdstep serve` names it before the
    /// run, for the run's log and record.
    public var executionID: String?
    /// The server `${job.serverUrl}` and `${job.url}` name when `framework.server.url` is not
    /// set (`pdstep serve`: its own address, which shows executions).
    public var serverURL: String?

    /// A request; by default it runs for real in the current folder with this process's environment.
    public init(
        options: [String: String] = [:], dryRun: Bool = false, ignoreNodeFilter: Bool = false,
        directory: String = FileManager.default.currentDirectoryPath,
        environment: [String: String] = ProcessEnvironment.current, user: String? = nil, userEmail: String? = nil
    ) {
        self.options = options
        self.dryRun = dryRun
        self.ignoreNodeFilter = ignoreNodeFilter
        self.directory = directory
        self.environment = environment
        self.user = user
        self.userEmail = userEmail
    }
}

/// How a run ended.
public struct RunOutcome: Sendable {
    /// How the job ended.
    public var state: JobState
    /// The custom flow-control status, if any.
    public var status: String?
    /// The exit code for the process.
    public var exitCode: ExitCode
    /// Labels of the steps that failed.
    public var failedSteps: [String]
    /// The data variables at the end (`data.*`, `export.*`), for callers and tests.
    public var data: DataContext
}

/// Runs jobs step by step on the local node, with Rundeck's workflow semantics
/// (reference: rundeck.md section 7).
public struct JobRunner: Sendable {
    /// The plugin steps jobs may use (Rundeck's built-ins are added).
    public let catalog: StepCatalog
    /// The run's settings.
    public let settings: Settings
    /// Where secure options and step keys are read from.
    public let keyStorage: KeyStorage
    /// The execution log every step writes to.
    public internal(set) var log: ExecutionLog
    /// Every job of the file (or folder) the job came from, for job references.
    public let jobs: [Job]
    /// What every step of the run shares (the PagerDuty client factory), built by the host.
    public let services: StepServices
    /// The attempt running now, for the notification a signal fires.
    let live = LiveRun()
    /// `--allow-unknown-config`: a step configuration key that is no property is a warning.
    public var allowUnknownConfig = false

    /// A runner for the jobs of one file or folder; `services` are lent to every step.
    public init(catalog: StepCatalog, settings: Settings, keyStorage: KeyStorage, log: ExecutionLog, jobs: [Job], services: StepServices = StepServices()) {
        self.services = services
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

    /// What `job` means in Rundeck that its author may not expect (a timeout of `2 h` is none):
    /// printed by `validate` and logged when the job runs.
    public func warnings(_ job: Job) -> [String] {
        JobValidator(runner: self).warnings(in: job)
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
        var execution = Execution(id: request.executionID ?? ExecutionID.next(), uuid: ExecutionID.uuid())
        var attempt = 0
        var retry = (max: 0, delay: 0.0)
        var remoteOptions = job.options
        while true {
            let state: RunState, timeout: Double?
            switch await prepareAttempt(job, request, execution: execution, attempt: attempt, options: &remoteOptions, retry: &retry) {
            case .ready(let ready, let limit): (state, timeout) = (ready, limit)
            case .refused(let outcome): return outcome
            }
            if job.notifications.attachesLog && !request.dryRun { live.capture.capture(log) }
            log.emit(.jobStarted(job: job.fullName, execid: execution.id, attempt: attempt, dryRun: request.dryRun))
            if attempt == 0, let unavailable = emailUnavailable(job) { log.emit(.note(level: .warn, message: unavailable)) }
            live.state.withLock { $0 = state }
            if !request.dryRun { await notify(.onstart, job: job, status: "running", result: nil, state: state) }
            let started = DispatchTime.now()
            let averageWatch = watchAverageDuration(job, state: state)
            let outcome = await runAttempt(state, timeout: timeout)
            averageWatch?.cancel()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
            // Only a job that asks for `onavgduration` keeps a duration history (no file otherwise).
            if outcome.state == .succeeded && !request.dryRun && job.notifications.watchesAverageDuration {
                durationHistory.record(job, milliseconds: elapsed)
            }
            log.emit(.jobFinished(
                job: job.fullName, state: outcome.state, status: outcome.status, milliseconds: elapsed,
                steps: outcome.stepsRun, failed: outcome.failedSteps))
            let retrying = outcome.state != .succeeded && !request.dryRun && attempt < retry.max
            await notifyEnd(job, outcome: outcome, retrying: retrying, state: state)
            if !retrying {
                // Ended on its own: a later signal has nothing to report. (Ended by a signal's
                // kill: the stop reporter still needs it.)
                if ProcessTermination.stoppingSignal == nil { live.state.withLock { $0 = nil } }
                return outcome.runOutcome
            }
            attempt += 1
            // Each retry is an execution of its own, which knows the first and the previous.
            execution = Execution(
                id: ExecutionID.next(), uuid: ExecutionID.uuid(), retryInitialID: execution.retryInitialID ?? execution.id,
                retryPreviousID: execution.id)
            log.emit(.note(level: .normal, message: "retrying the job (retry \(attempt) of \(retry.max))\(retry.delay > 0 ? " in \(formatDuration(retry.delay * 1000))" : "")"))
            if retry.delay > 0 { try? await Task.sleep(nanoseconds: boundedNanoseconds(retry.delay)) }
        }
    }

    /// What an attempt needs before its first step, or why it cannot start.
    enum AttemptSetup {
        case ready(RunState, timeout: Double?)
        case refused(RunOutcome)
    }

    /// Sets up one attempt: the variables, the options (with the enforced ones' `valuesUrl`
    /// lists, fetched on the first attempt), and the retry and timeout the options may set,
    /// checked like literals.
    func prepareAttempt(
        _ job: Job, _ request: RunRequest, execution: Execution, attempt: Int, options: inout [JobOption], retry: inout (max: Int, delay: Double)
    ) async -> AttemptSetup {
        var state = RunState(job: job, execution: execution, attempt: attempt, request: request)
        state.data.groups["job"] = jobContext(job, execution: execution, attempt: attempt, request: request)
        state.data.groups["globals"] = globals()
        state.data.groups["node"] = nodeContext(request.environment)
        // Enforced options that list no values take them from their valuesUrl (fetched
        // once per execution, before any option is checked).
        if attempt == 0 {
            switch await Self.withRemoteValues(job.options, data: state.data, given: request.options, http: services.get(OutboundHTTP.self)) {
            case .success(let remote): options = remote
            case .failure(let failure):
                log.emit(.note(level: .error, message: "job \(job.fullName): \(failure.message)"))
                return .refused(RunOutcome(state: .failed, exitCode: .invalidInput, failedSteps: [], data: state.data))
            }
        }
        do {
            let resolved = try OptionResolver(options: options, keyStorage: keyStorage, redactor: redactor)
                .resolve(request.options, globals: state.data.groups["globals"] ?? [:], job: state.data.groups["job"] ?? [:])
            state.data.groups["option"] = resolved.visible
            state.data.groups["secureOption"] = resolved.secure.filter { resolved.visible[$0.key] != nil }
        } catch {
            log.emit(.note(level: .error, message: error.description))
            return .refused(RunOutcome(state: .failed, exitCode: .invalidInput, failedSteps: [], data: state.data))
        }
        // Options may set these; what they expand to is checked like a literal would be.
        var problems: [String] = []
        if attempt == 0, let policy = job.retry {
            let count = state.data.expand(policy.count, unresolved: .keep)
            if let problem = RundeckDuration.retryCountProblem(count) { problems.append("retry '\(count)' \(problem)") }
            retry.max = Int(count.trimmingSpaces()) ?? 0
            let delay = state.data.expand(policy.delay, unresolved: .keep)
            if !delay.isEmpty, let problem = RundeckDuration.problem(delay) { problems.append("retry delay '\(delay)' \(problem)") }
            retry.delay = RundeckDuration.seconds(delay)
            if !delay.isEmpty, let surprise = RundeckDuration.surprise(delay) {
                log.emit(.note(level: .warn, message: "job \(job.fullName): retry delay \(surprise)"))
            }
        }
        var timeout: Double?
        if let text = job.timeout, !text.isEmpty {
            let expanded = state.data.expand(text, unresolved: .keep)
            if let problem = RundeckDuration.problem(expanded) { problems.append("timeout '\(expanded)' \(problem)") }
            if attempt == 0, let surprise = RundeckDuration.surprise(expanded) {
                log.emit(.note(level: .warn, message: "job \(job.fullName): timeout \(surprise)"))
            }
            // Rundeck applies a timeout only when it is more than 0 s.
            let seconds = RundeckDuration.seconds(expanded)
            timeout = seconds > 0 ? seconds : nil
        }
        if !problems.isEmpty {
            for problem in problems { log.emit(.note(level: .error, message: "job \(job.fullName): \(problem)")) }
            return .refused(RunOutcome(state: .failed, exitCode: .invalidInput, failedSteps: [], data: state.data))
        }
        return .ready(state, timeout: timeout)
    }

    /// `options` with the allowed values of each enforced option that lists none filled in
    /// from its `valuesUrl`; a list that cannot be fetched fails the run, naming the URL.
    /// `${globals.x}`, `${job.x}` and `${option.NAME.value}` (another option's given value) are
    /// expanded in the URL first, as Rundeck expands them.
    static func withRemoteValues(
        _ options: [JobOption], data: DataContext, given: [String: String], http: OutboundHTTP?
    ) async -> Result<[JobOption], RemoteOptionValues.FetchFailure> {
        var options = options
        for index in options.indices where options[index].enforced && options[index].values.isEmpty {
            guard let written = options[index].valuesURL else { continue }
            let url = VariableExpander.expand(written, unresolved: .keep) { reference in
                switch reference.group {
                case "globals", "job": return data.groups[reference.group]?[reference.key]
                case "option" where reference.key.hasSuffix(".value"): return given[String(reference.key.dropLast(6))]
                default: return nil
                }
            }
            if url.includes("${") {
                return .failure(.init("option '\(options[index].name)': its valuesUrl \(OutboundHTTP.shown(url)) refers to a value this run does not have"))
            }
            switch await RemoteOptionValues.values(at: url, http: http) {
            case .success(let values): options[index].values = values
            case .failure(let failure):
                return .failure(.init("option '\(options[index].name)': its allowed values could not be fetched from \(OutboundHTTP.shown(url)): \(failure.message)"))
            }
        }
        return .success(options)
    }

    // MARK: Steps

    /// Runs one step (or error handler) and merges what it produced into the context.
    func execute(_ step: WorkflowStep, number: String, workflow: Workflow, state: inout RunState) async -> StepOutcome {
        var outcome: StepOutcome
        do {
            let filters = try OutputFilters(step.logFilters + workflow.logFilters)
            if !filters.ignoredTypes.isEmpty {
                log.emit(.log(context: number, level: .verbose, message: "display-only log filters ignored: \(filters.ignoredTypes.joined(separator: ", "))"))
            }
            switch step.kind {
            case .exec(let command):
                var values = ShellSubstitution()
                let line = values.expandExecLine(command, resolve: state.data.resolve)
                outcome = try await runCommand(
                    ["/bin/sh", "-c", line], display: displayCommand(command, state.data), values: values.variables, number: number,
                    filters: filters, state: state)
            case .script(let body, let args, let interpreter, let quoted, let ext):
                outcome = try await runScript(
                    body, expandTokens: true, args: args, interpreter: interpreter, quoted: quoted, ext: ext, number: number, filters: filters, state: state)
            case .scriptFile(let path, let args, let interpreter, let quoted, let expandTokens):
                let expandedPath = state.data.expand(path, unresolved: .keep)
                let full = Path.resolve(expandedPath, in: state.request.directory)
                guard let data = FileManager.default.contents(atPath: full) else {
                    throw StepError(.failed, "script file \(expandedPath) cannot be read")
                }
                outcome = try await runScript(
                    String(decoding: data, as: UTF8.self), expandTokens: expandTokens, args: args, interpreter: interpreter, quoted: quoted,
                    ext: nil, number: number, filters: filters, state: state)
            case .scriptURL(let url):
                throw StepError.invalid("scripturl steps are not supported (\(url)); download the script and use scriptfile")
            case .jobRef(let reference):
                outcome = try await runReference(reference, number: number, state: &state)
            case .plugin(let type, let configuration, _):
                outcome = try await runPlugin(type, configuration: configuration, number: number, state: state)
            }
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
}

/// One execution's identity: `${job.execid}` and `${job.executionUuid}`.
struct Execution: Sendable, Hashable {
    var id: String
    var uuid: String
    /// For a retry (a new execution, as in Rundeck): the first execution's id and the previous one's.
    var retryInitialID: String? = nil
    var retryPreviousID: String? = nil
    /// When it started.
    var started = Date()
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
    /// Why the first failed step failed (`${execution.failedMessage}` for notifications).
    var failureMessage: String? = nil

    var runOutcome: RunOutcome {
        RunOutcome(state: state, status: status, exitCode: exitCode, failedSteps: failedSteps, data: data)
    }
}

/// The attempt a runner is running, kept where a signal handler can read it.
final class LiveRun: Sendable {
    let state = Mutex<RunState?>(nil)
    /// The attempt's text log, for email notifications that attach it.
    let capture = LogCapture()
    /// How many of the attempt's own steps have started (for the line a timeout ends with).
    let stepsStarted = Atomic(0)
}
