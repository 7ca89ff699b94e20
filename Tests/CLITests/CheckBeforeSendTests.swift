import Foundation
import Testing
import TestSupport
@testable import Sandbox
import Values

/// Nothing is half done because of a problem that could be seen before: every step's static
/// configuration, key paths and settings are checked before the first step runs; exit 2 keeps
/// meaning "nothing was sent".
struct CheckBeforeSendTests {
    static func write(_ yaml: String, _ f: BinaryFixture, _ name: String = "j.yaml") throws {
        try yaml.write(toFile: f.directory + "/" + name, atomically: true, encoding: .utf8)
    }

    static let pageThen = """
        - name: page
          sequence:
            commands:
            - type: pagerduty-send-event
              configuration: {summary: disk full}
        """

    var sentNothing: (BinaryFixture) -> Bool { { f in f.sandbox.shared.withLock { $0.log.count } == 0 } }

    @Test func aMissingKeyInALaterStepStopsTheFirstPage() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        try Self.write(Self.pageThen + "\n    - type: pagerduty-incident-note\n      configuration: {api_key_path: keys/pd/api-typo, incident_id: PX, note: n}\n", f)
        for command in ["validate", "run"] {
            let outcome = try await runBinary([command, "j.yaml"], directory: f.directory)
            #expect(outcome.code == 2, "\(command): \(outcome.stdout)\(outcome.stderr)")
            #expect((outcome.stdout + outcome.stderr).contains("step 2 (pagerduty-incident-note): property 'api_key_path' (job configuration 'api_key_path'): no key at keys/pd/api-typo"), "\(outcome.stdout)\(outcome.stderr)")
        }
        #expect(sentNothing(f))
    }

    @Test func aWrongSettingStopsEverything() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        try Self.write("- name: j\n  sequence:\n    commands:\n    - exec: echo ran\n    - type: pagerduty-send-event\n      configuration: {summary: s}\n", f)
        for command in [["validate", "j.yaml"], ["run", "j.yaml"], ["config", "show"]] {
            let outcome = try await runBinary(command + ["--property", "pagerduty.region=europe"], directory: f.directory)
            #expect(outcome.code == 2 && outcome.stderr.contains("pagerduty.region must be us or eu, not 'europe'"), "\(command): \(outcome.stderr)")
            #expect(!outcome.stdout.contains("ran\n"))
        }
        // A misspelt setting is named, with the one it likely is.
        let typo = try await runBinary(["validate", "j.yaml", "--property", "pagerduty.regoin=eu"], directory: f.directory)
        #expect(typo.stderr.contains("warning: setting pagerduty.regoin (--property) is not one pdstep reads; did you mean pagerduty.region?"), "\(typo.stderr)")
        #expect(sentNothing(f))
    }

    /// A step refused after another has paged is exit 1, not 2, and the run says what ran; a
    /// required property whose references came out empty says which.
    @Test func aFailureAfterAPageIsNotExit2() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        try Self.write(Self.pageThen + """

                - exec: echo nothing to capture
                  plugins: {LogFilter: [{type: key-value-data}]}
                - type: pagerduty-incident-note
                  configuration: {incident_id: '${data.incident}', note: n}
            """, f)
        let outcome = try await runBinary(["run", "j.yaml"], directory: f.directory)
        let text = outcome.stdout + outcome.stderr
        #expect(outcome.code == 1, "\(text)")
        #expect(text.contains("property 'incident_id' is empty: ${data.incident} expanded to nothing (no earlier step set data.incident"), "\(text)")
        #expect(text.contains("exit 1, not 2: these steps ran before the failure, and may have sent something: [1] pagerduty-send-event, [2] exec: echo nothing to capture"), "\(text)")
        #expect((f.state["incidents"]?.arrayValue ?? []).count == 1)
    }

    /// Every problem of a step's configuration at once.
    @Test func allOfAStepsProblemsAreReportedTogether() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        try Self.write("""
            - name: j
              sequence:
                commands:
                - type: pagerduty-send-event
                  configuration:
                    summary: s
                    severity: bad
                    dedup_key: \(String(repeating: "x", count: 300))
                    images: '[{"src": "http://example.com/a.png"}]'
            """, f)
        let outcome = try await runBinary(["validate", "j.yaml"], directory: f.directory)
        #expect(outcome.code == 2)
        for part in ["2 configuration problems", "property 'severity' must be one of critical", "dedup_key is 300 characters", "image src must be an https:// URL"] {
            #expect(outcome.stderr.contains(part), "\(part): \(outcome.stderr)")
        }
    }
}
