import Foundation
import Settings
import StepKit
import Synchronization
import Testing
import Values
import YAML

@testable import Runner

/// Keeps every event of a run.
final class EventRecorder: ExecutionRenderer {
    private let events = Mutex<[ExecutionEvent]>([])
    func render(_ event: ExecutionEvent) { events.withLock { $0.append(event) } }
    var all: [ExecutionEvent] { events.withLock { $0 } }

    /// Every log line, in order.
    var lines: [String] {
        all.compactMap { if case .log(_, _, let message) = $0 { return message } else { return nil } }
    }
    /// Each finished step: context and state.
    var steps: [(String, StepState)] {
        all.compactMap { if case .stepFinished(let c, _, _, let s, _, _) = $0 { return (c, s) } else { return nil } }
    }
    var notes: [String] {
        all.compactMap { if case .note(_, let m) = $0 { return m } else { return nil } }
    }
    /// Everything as text, for leak checks.
    var text: String {
        let output = Mutex("")
        let renderer = TextRenderer { chunk in output.withLock { $0 += chunk } }
        for event in all { renderer.render(event) }
        return output.withLock { $0 }
    }
}

/// A plugin step for tests: records that it ran, can fail, returns outputs.
struct ProbeStep: JobStep {
    static let calls = Mutex<[[String: String]]>([])
    static let descriptor = StepDescriptor(
        name: "test-probe", aliases: ["probe-alias"], title: "Probe", summary: "Test step.",
        properties: [
            StepProperty("message", title: "Message", description: "Echoed as output.", required: true),
            StepProperty("fail", title: "Fail", description: "Fail with this kind.", kind: .select(["no", "remote", "temporary", "invalid"]), default: "no"),
            StepProperty("token", title: "Token", description: "A secret.", secret: true),
        ],
        outputs: [StepOutput("echo", "The message.")])
    let config: StepConfig
    init(config: StepConfig) throws(StepError) { self.config = config }
    func run(_ context: StepContext) async throws(StepError) -> StepResult {
        if context.dryRun { return StepResult(summary: "would probe \(config.values["message"] ?? "")") }
        Self.calls.withLock { $0.append(config.values) }
        context.log(.normal, "probe says \(config.values["message"] ?? "") token=\(config.values["token"] ?? "")")
        switch config.values["fail"] {
        case "remote": throw StepError(.remote, "PagerDuty refused", details: ["detail one"], httpStatus: 400)
        case "temporary": throw StepError(.temporary, "PagerDuty unavailable", httpStatus: 503)
        case "invalid": throw StepError.invalid("bad input", property: "message")
        default: return StepResult(outputs: ["echo": config.values["message"] ?? ""], summary: "probed")
        }
    }
}

struct Harness {
    let recorder = EventRecorder()
    let directory: String
    let redactor = SecretRedactor()
    var settings = Settings()

    init() {
        directory = NSTemporaryDirectory() + "pdstep-runner-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func runner(_ jobs: [Job]) -> JobRunner {
        JobRunner(
            catalog: StepCatalog([ProbeStep.self]), settings: settings, keyStorage: KeyStorage(base: directory + "/storage"),
            log: ExecutionLog(renderer: recorder, redactor: redactor), jobs: jobs)
    }

    /// Parses `yaml` (a job list) and runs its first job (or the one named).
    func run(
        _ yaml: String, job name: String? = nil, options: [String: String] = [:], dryRun: Bool = false, ignoreNodeFilter: Bool = false,
        environment: [String: String] = [:], user: String? = nil, userEmail: String? = nil
    ) async throws -> RunOutcome {
        let jobs = try JobDecoder.decode(try YAMLParser.parse(yaml), file: "test.yaml")
        let job = try JobFile.select(jobs, name, file: "test.yaml")
        return await runner(jobs).run(job, RunRequest(
            options: options, dryRun: dryRun, ignoreNodeFilter: ignoreNodeFilter, directory: directory,
            environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }, user: user, userEmail: userEmail))
    }
}
