import Foundation
import Testing
import TestSupport
@testable import Sandbox
import Values

/// A typo must never silently change a page: each spelling mistake a user makes in a job or a
/// step invocation is an error before anything is sent (exit 2), naming what it likely meant.
struct TypoTests {
    static func job(_ step: String, options: String = "[{name: host, value: web1}]") -> String {
        """
        - name: page
          options: \(options)
          sequence:
            commands:
        \(step.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    /// Each typo as a job carries it (after a first step that must not run), and what
    /// `validate` and `run` must say.
    static let cases: [(String, String)] = [
        ("- type: pagerduty-send-event\n  configuration: {sumary: disk full}",
         "configuration key 'sumary' is not a property of this step; did you mean 'summary'?"),
        ("- type: pagerduty-send-event\n  configuraton: {summary: disk full}",
         "step 2: 'configuraton' is not a step field; did you mean 'configuration'?"),
        ("- type: pagerduty-send-event\n  configuration: {summary: '${option.hots} down'}",
         "step 2: ${option.hots} names no option of this job (the job's options are host); did you mean ${option.host}?"),
        ("- type: pagerduty-send-event\n  configuration: {summary: down}\n- type: pagerduty-send-event\n  configuration: {event_action: resolve, dedup_key: '${data.dedupkey}'}",
         "step 3: ${data.dedupkey} is set by no earlier step (earlier steps set data.dedup_key, data.event_action, data.status); did you mean ${data.dedup_key}?"),
        ("- exec: echo '${option.hots}'", "step 2: ${option.hots} names no option of this job"),
    ]

    @Test func typosInAJobAreErrorsBeforeAnythingIsSent() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        for (step, message) in Self.cases {
            try Self.job("- exec: echo first\n" + step).write(toFile: f.directory + "/j.yaml", atomically: true, encoding: .utf8)
            for command in ["validate", "run"] {
                let outcome = try await runBinary([command, "j.yaml"], directory: f.directory)
                let text = outcome.stdout + outcome.stderr
                #expect(outcome.code == 2 && text.contains(message), "\(command) \(step):\n\(text)")
                #expect(!text.contains("echo first\n") && !outcome.stdout.contains("first\n"), "the first step ran")
            }
        }
        #expect((f.state["incidents"]?.arrayValue ?? []).isEmpty && f.sandbox.shared.withLock { $0.log.count } == 0)
    }

    /// A job exported with keys pdstep does not know can still run, with a warning per key.
    @Test func allowUnknownConfigTurnsTheErrorIntoAWarning() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        try Self.job("- type: pagerduty-send-event\n  configuration: {summary: disk full, colour: red}").write(toFile: f.directory + "/j.yaml", atomically: true, encoding: .utf8)
        let refused = try await runBinary(["run", "j.yaml"], directory: f.directory)
        #expect(refused.code == 2)
        let allowed = try await runBinary(["run", "j.yaml", "--allow-unknown-config"], directory: f.directory)
        #expect(allowed.code == 0, "\(allowed.stdout)\(allowed.stderr)")
        #expect((allowed.stdout + allowed.stderr).contains("configuration key 'colour' is not a property of this step and is ignored (--allow-unknown-config)"))
        #expect((f.state["incidents"]?.arrayValue ?? []).count == 1)
        // Rundeck Enterprise's change-event step carries an apiKey the step has no use for.
        try Self.job("- type: pagerduty-send-change-event\n  configuration: {summary: deployed, apiKey: keys/pd/api}").write(toFile: f.directory + "/c.yaml", atomically: true, encoding: .utf8)
        let change = try await runBinary(["validate", "c.yaml"], directory: f.directory)
        #expect(change.code == 0, "\(change.stdout)\(change.stderr)")
    }

    /// The step binary: a stray RD_CONFIG_* is warned about with the name it likely means;
    /// `--config` JSON gets "did you mean" as flags do.
    @Test func stepBinaryTyposAreNamed() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let stray = try await runBinary(["send-event", "--summary", "s", "--dry-run"], directory: f.directory, environment: ["RD_CONFIG_SUMARY": "x"])
        #expect(stray.stderr.contains("warning: RD_CONFIG_SUMARY is not a property of pagerduty-send-event and is ignored; did you mean RD_CONFIG_SUMMARY?"), "\(stray.stderr)")
        let json = try await runBinary(["send-event", "--config", "-", "--dry-run"], stdin: #"{"sumary": "x"}"#, directory: f.directory)
        #expect(json.code == 2 && json.stderr.contains("'sumary' is not a property of pagerduty-send-event; did you mean 'summary'?"), "\(json.stderr)")
        let flag = try await runBinary(["send-event", "--sumary", "x", "--dry-run"], directory: f.directory)
        #expect(flag.code == 2 && flag.stderr.contains("did you mean"), "\(flag.stderr)")
    }
}
