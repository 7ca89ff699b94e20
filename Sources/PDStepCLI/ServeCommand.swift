import Foundation
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
              next start if pdstep stopped before its jobs finished.
            """,
        options: [
            .value("routes", "FILE", "the routes file: which events run which job, with which options"),
            .value("listen", "HOST:PORT", "where to listen (default 127.0.0.1:0)"),
            .value("spool", "DIR", "where accepted events and run logs are kept (default ./spool)"),
            .value("concurrency", "N", "jobs run at once, at most (default 4)"),
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
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
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
        let (host, port) = try listenAddress(arguments.value("listen") ?? "127.0.0.1:0")
        let spoolFolder = arguments.value("spool").map { $0.hasPrefix("/") ? $0 : (invocation.io.directory as NSString).appendingPathComponent($0) }
            ?? (invocation.io.directory as NSString).appendingPathComponent("spool")
        let spool = try WebhookSpool(folder: spoolFolder)
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let receiver = WebhookReceiver(secrets: secrets, spool: spool, log: { invocation.io.printError(invocation.redactor.redact($0)) }, queue: continuation)
        let server = HTTPServer { receiver.handle($0) }
        let bound = try server.start(host: host, port: port)
        let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(bound)"
        invocation.io.printError("pdstep serve: taking PagerDuty v3 webhooks at \(base)\(WebhookReceiver.path); \(routes.routes.count) route\(routes.routes.count == 1 ? "" : "s") from \(routesFile); spool \(spoolFolder)")
        var info = ValueObject([("url", .string(base)), ("webhook_url", .string(base + WebhookReceiver.path))])
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
        // Events accepted before a stop and not finished run first.
        for name in spool.pending() { continuation.yield(name) }
        let runner = EventRunner(routes: routes, spool: spool, arguments: arguments, settings: settings, invocation: invocation)
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await name in stream {
                if running >= concurrency {
                    await group.next()
                    running -= 1
                }
                group.addTask { await runner.run(name) }
                running += 1
            }
        }
        return .success
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

/// The HTTP side of `pdstep serve`: checks each webhook's signature, keeps the event in the
/// spool, answers, and queues it for the runner.
struct WebhookReceiver: Sendable {
    static let path = "/webhooks/pagerduty"
    /// PagerDuty's payloads are small; a bigger body is refused before it is read further.
    static let maxBody = 1 << 20

    let secrets: SecretList
    let spool: WebhookSpool
    let log: @Sendable (String) -> Void
    let queue: AsyncStream<String>.Continuation

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch (request.method, request.path) {
        case ("GET", "/healthz"):
            return .text(200, "ok\n")
        case ("POST", Self.path):
            return webhook(request)
        case (_, Self.path):
            return HTTPResponse(status: 405, headers: [("Allow", "POST")])
        default:
            return .text(404, "not found\n")
        }
    }

    func webhook(_ request: HTTPRequest) -> HTTPResponse {
        guard request.body.count <= Self.maxBody else {
            log("webhook refused: a body of \(request.body.count) bytes (at most \(Self.maxBody))")
            return .text(413, "too large\n")
        }
        guard let header = request.header("X-PagerDuty-Signature") else {
            log("webhook refused: no X-PagerDuty-Signature header")
            return .text(400, "missing X-PagerDuty-Signature\n")
        }
        // `v1=<hex>`, possibly several (comma-separated) while PagerDuty rotates the secret.
        let signatures = header.split(separator: ",").compactMap { part -> [UInt8]? in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("v1="), trimmed.count == 67 else { return nil }
            return Self.bytes(hex: trimmed.dropFirst(3))
        }
        guard !signatures.isEmpty else {
            log("webhook refused: a malformed X-PagerDuty-Signature header")
            return .text(400, "malformed X-PagerDuty-Signature\n")
        }
        let expected = secrets.all.map { SHA256.hmac(key: $0, message: request.body) }
        guard signatures.contains(where: { given in expected.contains { SHA256.constantTimeEqual($0, given) } }) else {
            log("webhook refused: no valid signature (is pagerduty.webhook.secret_path the subscription's secret?)")
            return .text(403, "invalid signature\n")
        }
        guard let event = try? JSONParser.parse(bytes: request.body), let id = event["event"]?["id"]?.stringValue, !id.isEmpty,
            event["event"]?["event_type"]?.stringValue != nil
        else {
            log("webhook refused: not a v3 webhook payload ({\"event\": {\"id\", \"event_type\", ...}})")
            return .text(400, "not a PagerDuty v3 webhook payload\n")
        }
        do {
            guard try spool.accept(id: id, body: request.body) else {
                log("event \(id): seen before (a redelivery); not run again")
                return .text(202, "accepted (seen before)\n")
            }
        } catch {
            // Not kept: answered so that PagerDuty delivers it again.
            log("event \(id): could not be kept in the spool (\(error)); PagerDuty will deliver it again")
            return .text(503, "cannot keep the event now\n")
        }
        queue.yield(WebhookSpool.name(id))
        return .text(202, "accepted\n")
    }

    static func bytes<S: StringProtocol>(hex: S) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}

/// Runs the jobs an event's routes name, one JobRunner each, and records the results.
struct EventRunner: Sendable {
    let routes: WebhookRoutes
    let spool: WebhookSpool
    let arguments: ParsedArguments
    let settings: Settings
    let invocation: Invocation

    func run(_ name: String) async {
        let io = invocation.io
        guard let body = spool.body(name), let event = try? JSONParser.parse(bytes: body) else { return }
        let fields = WebhookRoutes.fields(of: event)
        let matched = routes.matching(fields)
        let label = "event \(fields["id"] ?? name) (\(fields["event_type"] ?? "?"))"
        if matched.isEmpty { io.printError("\(label): no route matches; nothing to run") }
        var results: [Value] = []
        for route in matched {
            let text = TextLog()
            var runner = JobRunner(
                catalog: invocation.catalog, settings: settings, keyStorage: invocation.keyStorage(arguments, settings: settings),
                log: ExecutionLog(renderer: TextRenderer(write: { text.append($0) }), redactor: invocation.redactor), jobs: routes.jobs,
                services: invocation.services(arguments, settings: settings))
            runner.allowUnknownConfig = false
            let options = WebhookRoutes.options(route, fields)
            io.printError("\(label): route '\(route.name)' runs job \(route.job.fullName)")
            let outcome = await runner.run(route.job, RunRequest(options: options, directory: invocation.io.directory, environment: invocation.io.environment))
            let execution = "\(name)-\(results.count + 1)"
            spool.keepLog(execution, text: text.all)
            io.printError("\(label): job \(route.job.fullName) \(outcome.state.rawValue) (exit \(outcome.exitCode.rawValue)); log \(spool.folder)/executions/\(WebhookSpool.name(execution)).log")
            results.append([
                "route": .string(route.name), "job": .string(route.job.fullName), "state": .string(outcome.state.rawValue),
                "exit_code": .int(Int(outcome.exitCode.rawValue)), "log": .string("executions/\(WebhookSpool.name(execution)).log"),
            ])
        }
        try? spool.finish(name, result: ["event": .string(fields["id"] ?? name), "event_type": .string(fields["event_type"] ?? ""), "runs": .array(results)])
    }
}

/// The webhook secrets signatures are checked against (one more once the sandbox subscribes).
final class SecretList: Sendable {
    private let storage = Mutex<[[UInt8]]>([])
    func add(_ secret: [UInt8]) { storage.withLock { $0.append(secret) } }
    var all: [[UInt8]] { storage.withLock { $0 } }
    var isEmpty: Bool { all.isEmpty }
}

/// A run's text log, kept in memory until the run ends.
final class TextLog: Sendable {
    private let storage = Mutex("")
    func append(_ text: String) { storage.withLock { $0 += text } }
    var all: String { storage.withLock { $0 } }
}
