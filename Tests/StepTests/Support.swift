import AcknowledgeEvent
import CreateUser
import UpdateUser
import DeleteUser
import GetUser
import ListUsers
import GetContactMethods
import ListSchedules
import ListEscalationPolicies
import TestConnection
import ExportDirectory
import IncidentNote
import EscalateIncident
import RunResponsePlay
import StartIncidentWorkflow
import UpdateStatus
import UpdateIncident
import GetIncident
import UpdateEscalationPolicy
import AddResponders
import ListIncidents
import ListIncidentAlerts
import ResolveIncidents
import Foundation
@testable import HTTPServer
import PagerDutyStepKit
import ResolveEvent
import Runner
import Sandbox
import SendChangeEvent
import SendEvent
import Settings
import StepKit
import StepLibrary
import Synchronization
import Testing
import Values
import YAML

/// Sandboxes kept up until the process ends (see `StepFixture.retire`).
let retiredSandboxes = Mutex<[Sandbox]>([])

/// Every step pdstep ships.
let catalog = StepCatalog.builtIn

/// Keeps every event of a run, as text.
final class TextLog: ExecutionRenderer {
    private let box = LockedText()
    func render(_ event: ExecutionEvent) {
        let box = self.box
        TextRenderer { box.append($0) }.render(event)
    }
    var all: String { box.value }
}

final class LockedText: Sendable {
    private let storage = Mutex("")
    func append(_ chunk: String) { storage.withLock { $0 += chunk } }
    var value: String { storage.withLock { $0 } }
}

/// A sandbox, key storage with its keys, settings pointing at it, and a way to run jobs or
/// single steps against it.
struct StepFixture {
    let sandbox = Sandbox()
    let url: String
    let storage: String
    let settings: Settings
    let log = TextLog()
    let redactor = SecretRedactor()

    init(extra: [String] = []) throws {
        url = try sandbox.start()
        storage = NSTemporaryDirectory() + "pdstep-steps-" + UUID().uuidString
        let keys = KeyStorage(base: storage)
        try keys.putPassword("keys/pd/api", secret: Array(Sandbox.demo.apiKey.utf8))
        try keys.putPassword("keys/pd/routing_key", secret: Array(Sandbox.demo.routingKey.utf8))
        settings = try SettingsLoader.load(overrides: [
            "framework.pagerduty.api.url=\(url)", "framework.pagerduty.service.url=\(url)", "pagerduty.identity.url=\(url)",
            "pagerduty.api_key_path=keys/pd/api", "pagerduty.routing_key_path=keys/pd/routing_key",
            "pagerduty.from_email=\(Sandbox.demo.fromEmail)", "pagerduty.retry.initial_delay=0.05",
        ] + extra, directory: storage)
    }

    /// Runs the first job of `yaml`.
    func run(_ yaml: String, options: [String: String] = [:], dryRun: Bool = false) async throws -> RunOutcome {
        let jobs = try JobDecoder.decode(try YAMLParser.parse(yaml), file: "test.yaml")
        // As pdstep run does: one client factory for the whole run.
        var services = StepServices()
        services.add(PagerDutyClientFactory(settings: settings))
        let runner = JobRunner(
            catalog: catalog, settings: settings, keyStorage: KeyStorage(base: storage),
            log: ExecutionLog(renderer: log, redactor: redactor), jobs: jobs, services: services)
        return await runner.run(jobs[0], RunRequest(options: options, dryRun: dryRun, directory: storage, environment: ["PATH": "/usr/bin:/bin"]))
    }

    /// A one-step job of `type` with `configuration`.
    func step(_ type: String, _ configuration: [String: String], dryRun: Bool = false) async throws -> RunOutcome {
        var yaml = "- name: step test\n  sequence:\n    commands:\n    - type: \(type)\n      configuration:\n"
        for (key, value) in configuration.sorted(by: { $0.key < $1.key }) {
            yaml += "        \(key): \(JSONWriter.quote(value))\n"
        }
        return try await run(yaml, dryRun: dryRun)
    }

    var state: Value { sandbox.stateSnapshot() }

    /// Ends the test but leaves the sandbox listening until the test process exits. The steps
    /// share one transport, and its kept connections, per process (as a job does); keeping every
    /// sandbox up keeps every port distinct, so no test ever talks to a connection kept for
    /// another test's sandbox.
    func retire() {
        retiredSandboxes.withLock { $0.append(sandbox) }
    }

    /// Triggers an alert and answers the incident's id.
    func openIncident(_ key: String = "k1", summary: String = "disk full") async throws -> String {
        _ = try await step("pagerduty-send-event", ["summary": summary, "source": "web1", "severity": "critical", "dedup_key": key])
        return state["incidents"]?.arrayValue?.first { $0["incident_key"]?.stringValue == key }?["id"]?.stringValue ?? ""
    }

    /// The incident with this id, as the sandbox holds it.
    func incident(_ id: String) -> Value? {
        state["incidents"]?.arrayValue?.first { $0["id"]?.stringValue == id }
    }

    func fault(_ json: String) {
        _ = sandbox.handle(HTTPRequest(method: "POST", target: "/_sandbox/faults", path: "/_sandbox/faults", query: [], headers: [], body: Array(json.utf8)))
    }
    var requests: [Value] { (try? JSONParser.parse(bytes: sandbox.handleAdmin("/_sandbox/requests")))?["requests"]?.arrayValue ?? [] }
}

extension Sandbox {
    /// The body of an admin GET, for tests.
    func handleAdmin(_ path: String) -> [UInt8] {
        handle(HTTPRequest(method: "GET", target: path, path: path, query: [], headers: [], body: [])).body
    }
}
