#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Runner
import Settings
import StepKit
import Synchronization
import Values

/// The running side of `pdstep serve`: for each accepted event, the runs its routes call for,
/// started as the overall and per-job limits allow (`RunQueue`), each with its record and logs
/// in the spool (`ServeExecutions`); an event leaves the pending ones when all its runs have
/// ended. On a stop it stops starting runs, waits for the running ones up to the grace period,
/// and then reports those it had to abort.
final class ServeDispatcher: Sendable {
    /// One run: route `index` of a pending event.
    struct Run: Sendable {
        var event: String
        var index: Int
        var accepted: Date
    }

    /// What a running run needs when it is aborted.
    struct Running: Sendable {
        var runner: JobRunner
        var job: Job
        var record: ValueObject
    }

    let routes: WebhookRoutes
    let spool: WebhookSpool
    let executions: ServeExecutions
    let metrics: ServeMetrics
    let queue: RunQueue<Run>
    let arguments: ParsedArguments
    let settings: Settings
    let invocation: Invocation
    /// What every run shares: one PagerDuty client, so that pacing per routing key holds across
    /// jobs running at once.
    let services: StepServices
    /// `${job.serverUrl}` when framework.server.url is unset: serve's own address (set once it listens).
    let serverURL = Mutex("")

    /// Runs left to end per event.
    private let remaining = Mutex<[String: Int]>([:])
    private let running = Mutex<[String: Running]>([:])
    private let idle = Mutex<[CheckedContinuation<Void, Never>]>([])

    init(
        routes: WebhookRoutes, spool: WebhookSpool, executions: ServeExecutions, metrics: ServeMetrics, concurrency: Int,
        arguments: ParsedArguments, settings: Settings, invocation: Invocation
    ) {
        self.routes = routes
        self.spool = spool
        self.executions = executions
        self.metrics = metrics
        queue = RunQueue(limit: concurrency)
        self.arguments = arguments
        self.settings = settings
        self.invocation = invocation
        services = invocation.services(arguments, settings: settings)
    }

    private func say(_ text: String) { invocation.io.printError(invocation.redactor.redact(text)) }

    /// Takes an accepted event (by its spool name): queues the runs its routes call for that
    /// have not run yet, or finishes it when there are none.
    func take(_ name: String, accepted: Date = Date()) {
        guard let body = spool.body(name), let event = try? JSONParser.parse(bytes: body) else {
            say("event \(name): its spool file \(spool.folder)/events/\(name).json cannot be read as JSON; left there to be looked at")
            return
        }
        let fields = WebhookRoutes.fields(of: event)
        let (matched, undecided) = routes.matchingIndices(fields)
        for index in undecided {
            let route = routes.routes[index]
            say("event \(fields["id"] ?? name) (\(fields["event_type"] ?? "?")): route \(route.name)'s title pattern \(route.titlePattern ?? "") could not be matched against the title within \(Text.seconds(WebhookRoutes.titleCheckSeconds)) s (it backtracks on it), so the route was not run; a pattern without nested repetition avoids that")
        }
        if matched.isEmpty {
            metrics.unrouted()
            say("event \(fields["id"] ?? name) (\(fields["event_type"] ?? "?")): no route matches; nothing to run")
            finish(name, fields: fields)
            return
        }
        let toRun = matched.filter { spool.routeResult(name, index: $0) == nil }
        guard !toRun.isEmpty else { return finish(name, fields: fields) }
        remaining.withLock { $0[name] = toRun.count }
        for index in toRun {
            let job = routes.routes[index].job
            start(queue.add(Run(event: name, index: index, accepted: accepted), job: job.fullName, jobLimit: job.concurrencyLimit))
        }
        metrics.setWaiting(queue.counts.waiting)
    }

    private func start(_ runs: [Run]) {
        for run in runs { Task { await self.execute(run) } }
    }

    /// Runs one route's job for an event, keeping its record and logs, then starts what waited.
    func execute(_ run: Run) async {
        let route = routes.routes[run.index]
        guard let body = spool.body(run.event), let event = try? JSONParser.parse(bytes: body) else { return ended(run, job: route.job.fullName) }
        let fields = WebhookRoutes.fields(of: event)
        let id = ExecutionID.next()
        let label = "event \(fields["id"] ?? run.event) (\(fields["event_type"] ?? "?"))"
        let textLog = executions.logPath(id, "log").flatMap(LogFile.init)
        let jsonLog = executions.logPath(id, "jsonl").flatMap(LogFile.init)
        let log = ExecutionLog(
            observers: [TextRenderer(write: { textLog?.append($0) }), JSONLinesRenderer(write: { jsonLog?.append($0) }),
                RetryAliases(executions: executions, first: id)],
            redactor: invocation.redactor)
        let runner = invocation.jobRunner(arguments, settings: settings, jobs: routes.jobs, log: log, services: services)
        var request = RunRequest(options: WebhookRoutes.options(route, fields), directory: invocation.io.directory, environment: invocation.io.environment)
        request.executionID = id
        let base = serverURL.withLock { $0 }
        request.serverURL = base
        let started = Date()
        var record = ValueObject([
            ("id", .string(id)), ("job", .string(route.job.fullName)), ("route", .string(route.name)), ("event", .string(fields["id"] ?? run.event)),
            ("event_type", .string(fields["event_type"] ?? "")), ("incident", .string(fields["data.id"] ?? "")),
            ("incident_title", .string(fields["data.title"] ?? "")), ("state", "running"),
            ("started_at", .string(started.formatted(.iso8601))),
        ])
        executions.write(.object(record), sync: false)
        running.withLock { $0[id] = Running(runner: runner, job: route.job, record: record) }
        metrics.started(after: started.timeIntervalSince(run.accepted))
        say("\(label): route '\(route.name)' runs job \(route.job.fullName) as execution \(id)")
        let outcome = await runner.run(route.job, request)
        textLog?.close()
        jsonLog?.close()
        // Ended by a signal's stop: the stop's report records it as aborted, and the event stays
        // pending so that this run is made again at the next start.
        guard ProcessTermination.stoppingSignal == nil else { return }
        running.withLock { $0[id] = nil }
        let seconds = Date().timeIntervalSince(started)
        record["state"] = .string(outcome.state.rawValue)
        record["exit_code"] = .int(Int(outcome.exitCode.rawValue))
        record["ended_at"] = .string(Date().formatted(.iso8601))
        record["duration_ms"] = .int(Int(seconds * 1000))
        metrics.ended(outcome.state.rawValue, seconds: seconds)
        executions.write(.object(record), sync: false)
        say("\(label): job \(route.job.fullName) \(outcome.state.rawValue) (exit \(outcome.exitCode.rawValue)); execution \(base)/executions/\(id)")
        let result: Value = [
            "route": .string(route.name), "job": .string(route.job.fullName), "execution": .string(id), "state": .string(outcome.state.rawValue),
            "exit_code": .int(Int(outcome.exitCode.rawValue)),
        ]
        let last = remaining.withLock { remaining -> Bool in
            remaining[run.event, default: 1] -= 1
            guard remaining[run.event] == 0 else { return false }
            remaining[run.event] = nil
            return true
        }
        // The event's last run finishes it (its result goes with the others into done/); an
        // earlier one is recorded on its own, so that a restart does not run it again.
        if last {
            finish(run.event, fields: fields, last: (run.index, result))
        } else {
            try? spool.finishRoute(run.event, index: run.index, result: result)
        }
        ended(run, job: route.job.fullName)
    }

    private func ended(_ run: Run, job: String) {
        start(queue.finished(job: job))
        metrics.setWaiting(queue.counts.waiting)
        if queue.counts.running == 0 {
            for waiter in idle.withLock({ list in defer { list = [] }; return list }) { waiter.resume() }
        }
    }

    /// Records what the event's runs did and moves it out of the pending ones.
    private func finish(_ name: String, fields: [String: String], last: (index: Int, result: Value)? = nil) {
        let count = routes.routes.count
        let runs = (0..<count).compactMap { $0 == last?.index ? last?.result : spool.routeResult(name, index: $0) }
        try? spool.finish(name, result: ["event": .string(fields["id"] ?? name), "event_type": .string(fields["event_type"] ?? ""), "runs": .array(runs)], routes: count)
    }

    // MARK: Stopping

    /// Stops starting runs and waits up to `grace` seconds for the running ones; answers how
    /// many still run then.
    func drain(grace: Double) -> Int {
        let waiting = queue.stopStarting()
        let runningNow = queue.counts.running
        var text = "pdstep serve: stopping; no more webhooks are taken"
        if runningNow > 0 { text += "; \(runningNow) running job\(runningNow == 1 ? "" : "s") may finish within \(Int(grace)) s" }
        if waiting > 0 { text += "; \(waiting) waiting stay\(waiting == 1 ? "s" : "") in the spool for the next start" }
        say(text)
        let done = DispatchSemaphore(value: 0)
        Task {
            if queue.counts.running > 0 {
                await withCheckedContinuation { continuation in
                    let now = idle.withLock { list -> Bool in
                        if queue.counts.running == 0 { return true }
                        list.append(continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            done.signal()
        }
        _ = done.wait(timeout: .now() + grace)
        return queue.counts.running
    }

    /// After the grace period: the runs still going were ended with their commands; each fires
    /// its `onfailure` notifications as aborted and is recorded so. Their events stay pending.
    func abortRunning(by signalName: String) -> Int {
        let left = running.withLock { $0 }
        let fired = DispatchSemaphore(value: 0)
        Task {
            await withTaskGroup(of: Void.self) { group in
                for (_, run) in left { group.addTask { await run.runner.notifyStopped(run.job, by: signalName) } }
            }
            fired.signal()
        }
        if fired.wait(timeout: .now() + 20) == .timedOut { say("pdstep serve: the onfailure notifications did not finish within 20 s") }
        for (id, run) in left {
            var record = run.record
            record["state"] = "aborted"
            record["aborted_by"] = .string(signalName)
            record["ended_at"] = .string(Date().formatted(.iso8601))
            executions.write(.object(record))
            say("pdstep serve: execution \(id) (job \(run.job.fullName)) aborted by \(signalName); its event stays in the spool and runs again at the next start")
        }
        return left.count
    }
}

/// Points each retry's execution id at the first attempt's record.
struct RetryAliases: ExecutionRenderer {
    let executions: ServeExecutions
    let first: String
    func render(_ event: ExecutionEvent) {
        if case .jobStarted(_, let execid, let attempt, _) = event, attempt > 0 { executions.alias(execid, to: first) }
    }
}
