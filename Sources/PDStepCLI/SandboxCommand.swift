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
import PagerDutyStepKit
import Sandbox
import Settings
import StepKit
import Values

/// A sandbox started for one command (`--sandbox`): the server, and the key storage and
/// settings that point every step at it.
struct SandboxSession {
    /// Where the session's key storage keeps the demo keys; the client factory of a run with
    /// `--sandbox` uses them whatever key paths the job names.
    static let keys = PagerDutyClientFactory.SandboxKeys(apiKeyPath: "keys/pd/api", routingKeyPath: "keys/pd/routing_key")

    let sandbox: Sandbox
    let url: String
    let storage: String

    /// Starts the sandbox on a free loopback port and writes the demo keys to a fresh key
    /// storage folder.
    static func start(port: UInt16 = 0) throws -> SandboxSession {
        let sandbox = Sandbox()
        let url = try sandbox.start(port: port)
        // A job run against its own sandbox is not held to PagerDuty's 120 events a minute
        // (121 event steps would wait a minute); `pdstep sandbox` keeps the real limits.
        sandbox.liftLimits()
        let storage = FileManager.default.temporaryDirectory.path + "/pdstep-sandbox-\(getpid())-\(UUID().uuidString.prefix(8))"
        try writeDemoKeys(storage)
        return SandboxSession(sandbox: sandbox, url: url, storage: storage)
    }

    /// A key storage at `storage` with the demo account's keys at pdstep's default paths.
    static func writeDemoKeys(_ storage: String) throws {
        let keys = KeyStorage(base: storage)
        try keys.putPassword(Self.keys.apiKeyPath, secret: Array(Sandbox.demo.apiKey.utf8))
        try keys.putPassword(Self.keys.routingKeyPath, secret: Array(Sandbox.demo.routingKey.utf8))
        try keys.putPassword("keys/pd/oauth/client_id", secret: Array(Sandbox.demo.oauthClientID.utf8))
        try keys.putPassword("keys/pd/oauth/client_secret", secret: Array(Sandbox.demo.oauthClientSecret.utf8))
    }

    /// With `--sandbox` among the arguments: starts a sandbox and points the arguments' settings
    /// and key storage at it (the user's own `--property` values still win).
    static func startIfAsked(_ arguments: inout ParsedArguments) throws -> SandboxSession? {
        guard arguments.has("sandbox") else { return nil }
        let session = try start()
        arguments.values["property"] = session.overrides + arguments.all("property")
        arguments.values["storage"] = [session.storage]
        return session
    }

    /// Writes `directory/framework.properties` pointing every client at the sandbox at `url`, and
    /// a key storage `directory/storage` with the demo keys at pdstep's default paths.
    static func configure(_ directory: String, url: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writeDemoKeys(directory + "/storage")
        let settings = """
            # Written by `pdstep sandbox --configure`: every PagerDuty call goes to the sandbox at \(url).
            # The keys are the sandbox's demo keys, in ./storage at pdstep's default paths.
            \(KnownSettings.apiURL.key)=\(url)
            \(KnownSettings.eventsURL.key)=\(url)
            \(KnownSettings.identityURL.key)=\(url)
            \(KnownSettings.storageDir.key)=\(directory)/storage
            \(KnownSettings.fromEmail.key)=\(Sandbox.demo.fromEmail)
            \(KnownSettings.subdomain.key)=sandbox

            """
        try settings.write(toFile: directory + "/framework.properties", atomically: true, encoding: .utf8)
    }

    /// `--property` overrides that point every client at the sandbox.
    var overrides: [String] {
        [
            "\(KnownSettings.apiURL.key)=\(url)", "\(KnownSettings.eventsURL.key)=\(url)", "\(KnownSettings.identityURL.key)=\(url)",
            "\(KnownSettings.apiKeyPath.key)=\(Self.keys.apiKeyPath)",
            "\(KnownSettings.routingKeyPath.key)=\(Self.keys.routingKeyPath)",
            "\(KnownSettings.fromEmail.key)=\(Sandbox.demo.fromEmail)",
            "\(KnownSettings.subdomain.key)=sandbox",
            // pdstep's own pacing likewise (a --property of the user's still wins).
            "\(KnownSettings.eventsRateLimit.key)=1000000000",
        ]
    }

    /// Subscribes `url` to the sandbox's webhooks (every incident event); answers the secret.
    func subscribe(_ url: String) throws -> String {
        let body: Value = ["webhook_subscription": [
            "type": "webhook_subscription", "delivery_method": ["type": "http_delivery_method", "url": .string(url)],
            "filter": ["type": "account_reference"], "description": "pdstep serve",
        ]]
        let answer = sandbox.handle(HTTPRequest(
            method: "POST", target: "/webhook_subscriptions", path: "/webhook_subscriptions", query: [],
            headers: [("Authorization", "Token token=\(Sandbox.demo.apiKey)"), ("Content-Type", "application/json")], body: Array(JSONWriter.write(body).utf8)))
        guard let secret = (try? JSONParser.parse(bytes: answer.body))?["webhook_subscription"]?["delivery_method"]?["secret"]?.stringValue else {
            throw UsageError("the sandbox did not take the webhook subscription (HTTP \(answer.status))")
        }
        return secret
    }

    /// Triggers an incident (critical, on the demo service) through the Events API; answers its id.
    func trigger(_ summary: String) -> String {
        let body: Value = [
            "routing_key": .string(Sandbox.demo.routingKey), "event_action": "trigger",
            "payload": ["summary": .string(summary), "source": "pdstep serve --trigger", "severity": "critical"],
        ]
        _ = sandbox.handle(HTTPRequest(method: "POST", target: "/v2/enqueue", path: "/v2/enqueue", query: [], headers: [("Content-Type", "application/json")], body: Array(JSONWriter.write(body).utf8)))
        return sandbox.stateSnapshot()["incidents"]?.arrayValue?.last?["id"]?.stringValue ?? ""
    }

    /// What the job left in the sandbox, one line per incident.
    func summary() -> String {
        let state = sandbox.stateSnapshot()
        let incidents = state["incidents"]?.arrayValue ?? []
        let changes = state["change_events"]?.arrayValue?.count ?? 0
        var lines = ["sandbox: \(incidents.count) incident\(incidents.count == 1 ? "" : "s"), \(changes) change event\(changes == 1 ? "" : "s") (rate limits lifted for this run; PagerDuty allows 120 events a minute per routing key, which pdstep paces to, and `pdstep sandbox` keeps)"]
        for incident in incidents {
            let alerts = incident["alerts"]?.arrayValue?.count ?? 0
            let notes = incident["notes"]?.arrayValue?.count ?? 0
            lines.append("  #\(incident["incident_number"]?.text ?? "?") \(incident["title"]?.text ?? "") [\(incident["status"]?.text ?? "")] \(alerts) alert\(alerts == 1 ? "" : "s"), \(notes) note\(notes == 1 ? "" : "s"), level \(incident["escalation_level"]?.text ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    func stop() {
        sandbox.stop()
        try? FileManager.default.removeItem(atPath: storage)
    }
}

extension PDStep {
    static let sandboxCommand = Command(
        name: "sandbox",
        summary: "Run the embedded PagerDuty sandbox (an emulated account on 127.0.0.1) until interrupted.",
        usage: """
            [--port N] [--configure DIR]

              The first line on standard output is one JSON object with the sandbox's url, api_key,
              routing_key and from_email, for scripts. Open the url in a browser to see incidents.
              --configure DIR writes DIR/framework.properties and a key storage DIR/storage holding the
              demo keys, so that `pdstep run JOB --framework-properties DIR/framework.properties
              --storage DIR/storage` (or any command run in DIR) talks to this sandbox.
            """,
        options: [
            .value("port", "N", "port to listen on (default: a free one)"),
            .value("configure", "DIR", "write settings and a key storage for this sandbox into DIR"),
        ], maxPositionals: 0, examples: ["pdstep sandbox --port 8089", "pdstep sandbox --configure sbx"]
    ) { arguments, invocation in
        let port: UInt16
        if let text = arguments.value("port") {
            guard let value = UInt16(text) else { throw UsageError("--port takes a number from 0 to 65535, not '\(text)'") }
            port = value
        } else {
            port = 0
        }
        let sandbox = Sandbox()
        let url = try sandbox.start(port: port)
        let demo = Sandbox.demo
        let info: Value = [
            "url": .string(url), "api_key": .string(demo.apiKey), "user_api_key": .string(demo.userAPIKey),
            "routing_key": .string(demo.routingKey), "from_email": .string(demo.fromEmail),
            "oauth_client_id": .string(demo.oauthClientID), "oauth_client_secret": .string(demo.oauthClientSecret),
        ]
        var recipe = "or write settings and keys for it with: pdstep sandbox --port \(url.split(separator: ":").last ?? "8089") --configure DIR"
        if let folder = arguments.value("configure") {
            let directory = Path.resolve(folder, in: invocation.io.directory)
            try SandboxSession.configure(directory, url: url)
            recipe = """
                with the settings and keys written to \(folder):
                  pdstep run JOB --framework-properties \(folder)/framework.properties --storage \(folder)/storage
                or run pdstep in \(folder), where both are the defaults
                """
        }
        // Printed once the settings and keys are written, so that a script reading it can go on.
        invocation.io.print(JSONWriter.write(info))
        invocation.io.printError("""
            The pdstep sandbox is running at \(url): an emulated PagerDuty account on this machine.
            Nothing sent to it reaches PagerDuty. Point pdstep at it
            \(recipe)
            or run jobs with --sandbox, which starts one of these for the job. See incidents at \(url)/
            Press Ctrl-C to stop.
            """)
        while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
    }
}
