#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Runner
import Settings
import StepKit
import Synchronization
import Values

extension PDStep {
    static let serveCommand = Command(
        name: "serve",
        summary: "Receive PagerDuty v3 webhooks and run the jobs the routes file names for each event.",
        usage: """
            --routes FILE [--listen HOST:PORT] [--spool DIR] [--concurrency N]

              Listens on 127.0.0.1 (port 0: a free one) unless --listen names another address; put a
              TLS-terminating proxy in front of it to take webhooks from PagerDuty. The first line on
              standard output is one JSON object with url and webhook_url (where PagerDuty must POST),
              and with --sandbox its sandbox_url (and incident_url with --trigger);
              the log goes to standard error. Every request's X-PagerDuty-Signature is checked against
              the secret(s) at pagerduty.webhook.secret_path (key storage; default keys/pd/webhook).
              An accepted event is kept in the spool before it is answered, run once, and run at the
              next start if pdstep stopped before its jobs finished. A job runs one at a time unless
              it sets multipleExecutions (then up to maxMultipleExecutions). GET /executions lists the
              runs (HTML or JSON), /executions/ID shows one with its log, /healthz and /metrics
              (Prometheus) are for probes. SIGTERM stops taking webhooks, lets running jobs finish for
              --grace seconds, then aborts the rest (their events run again at the next start).
            """,
        options: [
            .value("routes", "FILE", "the routes file: which events run which job, with which options"),
            .value("listen", "HOST:PORT", "where to listen (default 127.0.0.1:0)"),
            .value("spool", "DIR", "where accepted events and run logs are kept (default ./spool)"),
            .value("concurrency", "N", "jobs run at once, at most (default 4); a job runs one at a time unless it allows multipleExecutions"),
            .value("grace", "SECONDS", "on SIGTERM, how long running jobs may take to finish before they are aborted (default 25)"),
            .flag("sandbox", "take webhooks from an embedded sandbox (subscribed for you) and point the jobs' steps at it"),
            .value("trigger", "SUMMARY", "with --sandbox: trigger an incident with this summary once serving, to see the whole loop"),
            storageOption,
        ] + settingsOptions,
        maxPositionals: 0,
        examples: [
            "pdstep serve --routes examples/webhooks/routes.yaml --listen 127.0.0.1:8090",
            "pdstep serve --routes examples/webhooks/routes.yaml --sandbox --trigger \"checkout returns 5xx\"",
        ]
    ) { arguments, invocation in
        var arguments = arguments
        guard let routesFile = arguments.value("routes") else { throw UsageError("serve needs --routes FILE") }
        if arguments.value("trigger") != nil && !arguments.has("sandbox") { throw UsageError("--trigger needs --sandbox") }
        let session = try SandboxSession.startIfAsked(&arguments)
        defer { session?.stop() }
        let settings = try invocation.settings(arguments)
        let routes = try WebhookRoutes.load(routesFile, directory: invocation.io.directory)
        let keyStorage = invocation.keyStorage(arguments, settings: settings)
        let secretPaths = (settings.value(KnownSettings.webhookSecretPath.key) ?? KnownSettings.webhookSecretPath.defaultValue)
            .split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        let secrets = SecretList()
        // With the sandbox, its subscription's secret (made below) is the one.
        if session == nil {
            for path in secretPaths {
                let secret = try keyStorage.readPassword(path)
                invocation.redactor.register(secret)
                secrets.add(Array(secret.utf8))
            }
            guard !secrets.isEmpty else { throw UsageError("no webhook secret: set pagerduty.webhook.secret_path") }
        }
        let concurrency = Int(arguments.value("concurrency") ?? "4") ?? 0
        guard (1...64).contains(concurrency) else { throw UsageError("--concurrency takes 1 to 64") }
        let grace = Double(arguments.value("grace") ?? "25") ?? -1
        guard (0...3600).contains(grace) else { throw UsageError("--grace takes 0 to 3600 seconds") }
        let retentionText = settings.value(KnownSettings.serveRetention.key) ?? KnownSettings.serveRetention.defaultValue
        if let problem = RundeckDuration.problem(retentionText) { throw UsageError("\(KnownSettings.serveRetention.key): \(problem)") }
        let retention = RundeckDuration.seconds(retentionText)
        let (host, port) = try listenAddress(arguments.value("listen") ?? "127.0.0.1:0")
        // A server outlives whoever reads its log: with stdout or stderr closed (a `| tee` that
        // ended, a log collector restarted) a write fails quietly instead of ending the process
        // and the jobs it runs. The commands it starts get SIGPIPE back at its default.
        signal(SIGPIPE, SIG_IGN)
        let spoolFolder = arguments.value("spool").map { Path.resolve($0, in: invocation.io.directory) }
            ?? Path.appending(invocation.io.directory, "spool")
        let spool = try WebhookSpool(folder: spoolFolder)
        let executions = try ServeExecutions(folder: spoolFolder + "/executions")
        spool.prune(olderThan: retention)
        executions.prune(olderThan: retention)
        let metrics = ServeMetrics()
        let stopping = StopFlag()
        let log: @Sendable (String) -> Void = { invocation.io.printError(invocation.redactor.redact($0)) }
        let running = ServeDispatcher(
            routes: routes, spool: spool, executions: executions, metrics: metrics, concurrency: concurrency, arguments: arguments,
            settings: settings, invocation: invocation)
        let receiver = WebhookReceiver(
            secrets: secrets, spool: spool, executions: executions, metrics: metrics, stopping: stopping, log: log, take: { running.take($0) })
        let server = HTTPServer { receiver.handle($0) }
        let bound = try server.start(host: host, port: port)
        let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(bound)"
        running.serverURL.withLock { $0 = base }
        invocation.io.printError("pdstep serve: taking PagerDuty v3 webhooks at \(base)\(WebhookReceiver.path); \(routes.routes.count) route\(routes.routes.count == 1 ? "" : "s") from \(routesFile); spool \(spoolFolder); executions at \(base)/executions")
        var info = ValueObject([("url", .string(base)), ("webhook_url", .string(base + WebhookReceiver.path)), ("executions_url", .string(base + "/executions"))])
        if let session {
            let secret = try session.subscribe(base + WebhookReceiver.path)
            invocation.redactor.register(secret)
            secrets.add(Array(secret.utf8))
            info["sandbox_url"] = .string(session.url)
            invocation.io.printError("pdstep serve: the sandbox at \(session.url) sends its webhooks here; incidents at \(session.url)/")
            if let summary = arguments.value("trigger") {
                let incident = session.trigger(summary)
                info["incident_url"] = .string("\(session.url)/incidents/\(incident)")
                invocation.io.printError("pdstep serve: triggered \"\(summary)\" in the sandbox; its page, where the job's note will appear: \(session.url)/incidents/\(incident)")
            }
        }
        invocation.io.print(JSONWriter.write(.object(info)))
        // SIGTERM (or Ctrl-C): stop taking webhooks, let running jobs finish within the grace
        // period, then end the rest as aborted; what did not finish stays in the spool.
        ProcessTermination.onDrain { _ in
            stopping.set()
            server.stop()
            let left = running.drain(grace: grace)
            if left > 0 { log("pdstep serve: \(left) job\(left == 1 ? "" : "s") still running after \(Int(grace)) s; ending \(left == 1 ? "it" : "them")") }
        }
        ProcessTermination.onStop { report in
            let aborted = running.abortRunning(by: report.signalName)
            log("pdstep serve: stopped by \(report.signalName)\(aborted > 0 ? "; \(aborted) execution\(aborted == 1 ? "" : "s") aborted" : "")")
            for file in report.queuedEvents { log("  an event not confirmed delivered is kept in the outbox as \(file); `pdstep outbox flush` will send it") }
            return aborted > 0 || !report.queuedEvents.isEmpty ? ProcessTermination.exitCode(for: report.signal) : 0
        }
        // Events accepted before a stop that did not finish run now (a redelivery of one is
        // recognised as seen and not taken twice).
        for name in spool.pending() { running.take(name) }
        // Finished events and executions past the retention go, hourly.
        while true {
            try await Task.sleep(nanoseconds: 3_600_000_000_000)
            spool.prune(olderThan: retention)
            executions.prune(olderThan: retention)
        }
    }

    /// `HOST:PORT` (or `[IPv6]:PORT`), checked.
    static func listenAddress(_ text: String) throws -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw UsageError("--listen takes HOST:PORT, not '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw UsageError("--listen takes HOST:PORT, not '\(text)'") }
        return (host, port)
    }
}

/// The webhook secrets signatures are checked against (one more once the sandbox subscribes).
final class SecretList: Sendable {
    private let storage = Mutex<[[UInt8]]>([])
    func add(_ secret: [UInt8]) { storage.withLock { $0.append(secret) } }
    var all: [[UInt8]] { storage.withLock { $0 } }
    var isEmpty: Bool { all.isEmpty }
}

