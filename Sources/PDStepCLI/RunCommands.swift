#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import PagerDutyStepKit
import Runner
import Settings
import StepKit
import Values

extension PDStep {
    static let runCommand = Command(
        name: "run",
        summary: "Run a job from a Rundeck job file (YAML, JSON or XML) or project folder, step by step.",
        usage: "JOBFILE|PROJECTDIR [--job NAME|GROUP/NAME|UUID] [-o NAME=VALUE ...] [--dry-run] [--log-format text|json]",
        options: [
            .value("job", "NAME", "the job to run, when the file or folder holds several"),
            .value("option", "NAME=VALUE", short: "o", repeatable: true, "a job option (repeatable)"),
            .flag("dry-run", "resolve options, variables and configuration and print what each step would do; send and run nothing"),
            .value("log-format", "FORMAT", "text (default) or json (one JSON object per line)"),
            .flag("json", "JSON lines on stdout (--log-format json)"),
            .flag("ignore-node-filter", "run a job whose node filter names other nodes on the local node"),
            allowUnknownConfigOption,
            .flag("sandbox", "start the embedded PagerDuty sandbox for this run and point every step at it"),
            .flag("keep-sandbox", "with the sandbox: keep it running after the job, to look at what it left, until Ctrl-C"),
            .value("user", "NAME", "${job.username} and ${job.user.name} (default: the OS user)"),
            .value("user-email", "ADDRESS", "${job.user.email} (default: unset, as for a Rundeck user without one)"),
            outboxOption, storageOption,
        ] + settingsOptions,
        maxPositionals: 1, examples: ["pdstep run examples/jobs/page-and-resolve.yaml --sandbox", "pdstep run jobs.yaml --job ops/Deploy -o host=web1 --dry-run", "pdstep run rundeck-ops/ --job backups/nightly --json"]
    ) { arguments, invocation in
        var arguments = arguments
        if arguments.has("keep-sandbox") && !arguments.has("sandbox") { arguments.flags.insert("sandbox") }
        if arguments.has("json") {
            // One spelling for machine output everywhere: --json.
            if let format = arguments.value("log-format"), format != "json" { throw UsageError("--json and --log-format \(format) ask for different logs; give one") }
            arguments.values["log-format"] = ["json"]
        }
        let session = try SandboxSession.startIfAsked(&arguments)
        // With --log-format json, standard output holds the JSON lines only.
        let say: @Sendable (String) -> Void = arguments.value("log-format") == "json" ? invocation.io.printError : invocation.io.print
        if let session { say("sandbox: an emulated PagerDuty account at \(session.url); nothing reaches PagerDuty") }
        let folder = session.map { ProcessTermination.holdFolder($0.storage) }
        defer {
            if let session {
                say(invocation.redactor.redact(session.summary()))
                session.stop()
            }
            if let folder { ProcessTermination.release(folder) }
        }
        let job: Job, runner: JobRunner
        do {
            (job, runner) = try prepareRun(arguments, invocation)
        } catch {
            if arguments.value("log-format") == "json" {
                let code = (error as? any ReportableError)?.exitCode ?? .invalidInput
                invocation.io.out(JSONLinesRenderer.startFailure(invocation.redactor.redact("\(error)"), exitCode: code.rawValue))
            }
            throw error
        }
        var options: [String: String] = [:]
        for pair in arguments.all("option") {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw UsageError("-o expects NAME=VALUE, got '\(pair)'")
            }
            options[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        let request = RunRequest(
            options: options, dryRun: arguments.has("dry-run"), ignoreNodeFilter: arguments.has("ignore-node-filter"),
            directory: invocation.io.directory, environment: invocation.io.environment, user: arguments.value("user"),
            userEmail: arguments.value("user-email"))
        ProcessTermination.onStop { report in
            // Rundeck fires onfailure for an aborted execution; wait for it a bounded time.
            let fired = DispatchSemaphore(value: 0)
            Task {
                await runner.notifyStopped(job, by: report.signalName)
                fired.signal()
            }
            if fired.wait(timeout: .now() + 20) == .timedOut {
                invocation.io.printError("pdstep: the onfailure notification did not finish within 20 s")
            }
            var text = "pdstep: the job was stopped by \(report.signalName); its running command was ended"
            for file in report.queuedEvents { text += "\n  an event not confirmed delivered is kept in the outbox as \(file); `pdstep outbox flush` will send it" }
            for event in report.undeliveredEvents { text += "\n  \(event) was not confirmed delivered, and there is no outbox to keep it" }
            invocation.io.printError(invocation.redactor.redact(text))
            return report.queuedEvents.isEmpty ? ProcessTermination.exitCode(for: report.signal) : ExitCode.temporary.rawValue
        }
        let outcome = await runner.run(job, request)
        if let session, arguments.has("keep-sandbox") {
            // Kept up to look at what the job left; Ctrl-C ends it with the job's exit code.
            say(invocation.redactor.redact(session.summary()))
            say("sandbox: kept running at \(session.url)/ (the incidents, their alerts, notes and log); press Ctrl-C to stop")
            ProcessTermination.onStop { _ in outcome.exitCode.rawValue }
            while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
        }
        return outcome.exitCode
    }

    static let validateCommand = Command(
        name: "validate",
        summary: "Check a job file or project folder without running anything: syntax, step types, required properties, references, options.",
        usage: "JOBFILE|PROJECTDIR [--job NAME]",
        options: [
            .value("job", "NAME", "check only this job"),
            .flag("ignore-node-filter", "accept node filters that name other nodes"),
            allowUnknownConfigOption,
            .flag("json", "print one JSON object: each job with its problems and warnings"),
            .flag("sandbox", "check as a run with --sandbox would: its demo keys stand in for the job's key paths"),
            .value("routes", "FILE", "check `pdstep serve`'s routes file and every job it names instead"),
            storageOption,
        ] + settingsOptions,
        maxPositionals: 1, examples: ["pdstep validate jobs.yaml", "pdstep validate rundeck-ops/ --json", "pdstep validate jobs.xml --sandbox"]
    ) { arguments, invocation in
        if let routesFile = arguments.value("routes") {
            // `pdstep serve`'s routes: the file, and every job it names, as serve will run them.
            let routes = try WebhookRoutes.load(routesFile, directory: invocation.io.directory)
            let settings = try invocation.settings(arguments)
            let runner = invocation.jobRunner(
                arguments, settings: settings, jobs: routes.jobs, log: ExecutionLog(renderer: TextRenderer(write: invocation.io.out), redactor: invocation.redactor))
            try checkSettings(runner)
            var failed = false
            for route in routes.routes {
                let problems = runner.validate(route.job)
                for problem in problems { invocation.io.printError("error: route '\(route.name)': " + problem) }
                if problems.isEmpty { invocation.io.print("ok: route '\(route.name)' runs job \(route.job.fullName)") }
                failed = failed || !problems.isEmpty
            }
            return failed ? .invalidInput : .success
        }
        guard let file = arguments.positionals.first else { throw UsageError("validate needs a JOBFILE or PROJECTDIR (or --routes FILE)") }
        let loaded = try JobFile.open(file, directory: invocation.io.directory)
        let settings = try invocation.settings(arguments, project: loaded.projectProperties)
        let selected = try arguments.value("job").map { [try JobFile.select(loaded.jobs, $0, file: file)] } ?? loaded.jobs
        // In a project folder every job file must read; each that does not is an error.
        for problem in loaded.unreadable { invocation.io.printError("error: " + problem) }
        let runner = invocation.jobRunner(
            arguments, settings: settings, jobs: loaded.all, log: ExecutionLog(renderer: TextRenderer(write: invocation.io.out), redactor: invocation.redactor))
        try checkSettings(runner)
        var failed = false
        var report: [Value] = []
        let json = arguments.has("json")
        for job in selected {
            let problems = runner.validate(job, ignoreNodeFilter: arguments.has("ignore-node-filter"))
            let warnings = runner.warnings(job)
            failed = failed || !problems.isEmpty
            if json {
                report.append(.object(ValueObject([
                    ("job", .string(job.fullName)), ("ok", .bool(problems.isEmpty)), ("steps", .int(job.workflow.steps.count)),
                    ("problems", .array(problems.map { .string(invocation.redactor.redact($0)) })),
                    ("warnings", .array(warnings.map { .string(invocation.redactor.redact($0)) })), ("ignored_fields", .array(job.ignoredFields.map(Value.string))),
                ])))
                continue
            }
            for warning in warnings { invocation.io.printError("warning: " + warning) }
            if problems.isEmpty {
                invocation.io.print("ok: job \(job.fullName) (\(job.workflow.steps.count) step\(job.workflow.steps.count == 1 ? "" : "s"))")
                if !job.ignoredFields.isEmpty {
                    invocation.io.print("  note: ignored fields with no meaning outside a Rundeck server: \(job.ignoredFields.joined(separator: ", "))")
                }
            } else {
                for problem in problems { invocation.io.printError("error: " + problem) }
            }
        }
        if json {
            invocation.io.print(JSONWriter.write(.object(ValueObject([
                ("ok", .bool(!failed && loaded.unreadable.isEmpty)), ("jobs", .array(report)),
                ("unreadable", .array(loaded.unreadable.map(Value.string))),
            ])), options: .pretty))
        }
        return failed || !loaded.unreadable.isEmpty ? .invalidInput : .success
    }

    /// Loads the settings, the job file and the job, and builds a runner that logs in the
    /// requested format.
    static func prepareRun(_ arguments: ParsedArguments, _ invocation: Invocation) throws -> (Job, JobRunner) {
        guard let file = arguments.positionals.first else { throw UsageError("run needs a JOBFILE or PROJECTDIR") }
        let loaded = try JobFile.open(file, directory: invocation.io.directory)
        let settings = try invocation.settings(arguments, project: loaded.projectProperties)
        let job = try JobFile.select(loaded.jobs, arguments.value("job"), file: file)
        // Another job of the folder that does not read is said, not fatal: this run does not
        // use it (a reference to a job in it fails validation, naming the job).
        for problem in loaded.unreadable { invocation.io.printError("warning: skipped: " + problem) }
        let renderer: any ExecutionRenderer
        switch arguments.value("log-format") ?? "text" {
        case "text": renderer = TextRenderer(write: invocation.io.out)
        case "json": renderer = JSONLinesRenderer(write: invocation.io.out)
        case let other: throw UsageError("--log-format takes text or json, not '\(other)'")
        }
        let runner = invocation.jobRunner(arguments, settings: settings, jobs: loaded.all, log: ExecutionLog(renderer: renderer, redactor: invocation.redactor))
        try checkSettings(runner)
        return (job, runner)
    }
}

/// `--allow-unknown-config`: step configuration keys that are no property are warned about
/// instead of refused (for jobs exported with keys pdstep does not know).
let allowUnknownConfigOption = OptionSpec.flag("allow-unknown-config", "warn about, instead of refusing, step configuration keys that are no property of the step")

extension PDStep {
    /// The PagerDuty settings every step will use (region, hosts, timeouts, retries, CA file),
    /// checked before a job is run or said to be valid: a wrong one is exit 2 naming it, not a
    /// failure at the first PagerDuty step after others have run.
    static func checkSettings(_ runner: JobRunner) throws {
        _ = try runner.services.get(PagerDutyClientFactory.self)?.configuration()
    }
}
