import Foundation
import Testing
import TestSupport

/// `pdstep migrate`: a preview by default (nothing written), `--write` to apply, each file kept in
/// its format; Enterprise names become pdstep's, the retired response play an incident workflow.
struct MigrateTests {
    static let secret = "R0UT1NGKEY0123456789abcdef012345"

    static let yamlJob = """
        - name: page
          group: ops
          options:
          - name: inc
          sequence:
            commands:
            - type: pd-sent-event-step
              configuration:
                service_key: keys/pd/routing
                event_action: trigger
                payload_summary: disk full
                payload_source: host1
            - type: pd-run-response-play-step
              configuration:
                api_token: keys/pd/api
                email: ops@example.com
                incident_id: ${option.inc}
                response_play_id: PRP123
              errorhandler:
                type: pd-note-step
                configuration: {api_token: keys/pd/api, incident_id: '${option.inc}', note: failed}
          notification:
            onfailure:
              plugin:
                type: pd-sent-event-step
                configuration: {routing_key: \(secret), payload_summary: failed, payload_source: rundeck}
        """

    @Test func thePreviewShowsEachChangeAndWritesNothing() async throws {
        let directory = makeTemporaryDirectory()
        try Self.yamlJob.write(toFile: directory + "/j.yaml", atomically: true, encoding: .utf8)
        let preview = try await runBinary(["migrate", "j.yaml"], directory: directory)
        #expect(preview.code == 0, "\(preview.stderr)")
        let expected = [
            "--- j.yaml", "  job 'ops/page', step 1:", "    - type: pd-sent-event-step", "    + type: pagerduty-send-event",
            "    - service_key: keys/pd/routing", "    + integration_key_path: keys/pd/routing", "    - payload_summary: disk full", "    + summary: disk full",
            "  job 'ops/page', step 2 error handler:", "    - type: pd-note-step", "    + type: pagerduty-incident-note",
            "    - email: ops@example.com", "    + (removed)", "      (pagerduty-start-incident-workflow has no 'from_email')",
            "    + type: pagerduty-start-incident-workflow, workflow_id: ${option.incident_workflow_id}",
            "  job 'ops/page', notification onfailure:", "    - routing_key: ****", "    + integration_key: ****",
            "    + option incident_workflow_id, required", "run again with --write to apply",
        ]
        for line in expected { #expect(preview.stdout.contains(line), "missing: \(line)\n\(preview.stdout)") }
        #expect(!preview.stdout.contains(Self.secret) && !preview.stderr.contains(Self.secret))
        #expect(try String(contentsOfFile: directory + "/j.yaml", encoding: .utf8) == Self.yamlJob)
    }

    @Test func writingKeepsTheFormatAndTheMeaning() async throws {
        let directory = makeTemporaryDirectory()
        try Self.yamlJob.write(toFile: directory + "/j.yaml", atomically: true, encoding: .utf8)
        // The send-event step resolves to the same request before and after (dry run).
        for (path, key) in [("keys/pd/routing", "0123456789abcdef0123456789abcdef"), ("keys/pd/api", "u+abcdefghijklmnopqr")] {
            #expect(try await runBinary(["keys", "put", path, "--password-stdin"], stdin: key, directory: directory).code == 0)
        }
        let before = try await runBinary(["run", "j.yaml", "-o", "inc=PX", "--dry-run", "--property", "pagerduty.api_key_path=keys/pd/api"], directory: directory)
        let written = try await runBinary(["migrate", "j.yaml", "--write"], directory: directory)
        #expect(written.code == 0 && written.stdout.contains("changes written to 1 file"), "\(written.stdout)\(written.stderr)")
        let text = try String(contentsOfFile: directory + "/j.yaml", encoding: .utf8)
        #expect(text.hasPrefix("- name: page") && !text.contains("pd-") && text.contains("workflow_id: \"${option.incident_workflow_id}\""), "\(text)")
        let checked = try await runBinary(["validate", "j.yaml"], directory: directory)
        #expect(checked.code == 0, "\(checked.stdout)\(checked.stderr)")
        let again = try await runBinary(["migrate", "j.yaml"], directory: directory)
        #expect(again.stdout.contains("nothing to migrate"), "\(again.stdout)")
        let after = try await runBinary(
            ["run", "j.yaml", "-o", "inc=PX", "-o", "incident_workflow_id=PW1", "--dry-run", "--property", "pagerduty.api_key_path=keys/pd/api"], directory: directory)
        // The first step's request, less what differs by run (its random dedup key).
        func firstStep(_ text: String) -> [String] {
            (text.components(separatedBy: "[2/2]").first ?? "").split(separator: "\n").map(String.init)
                .filter { $0.contains("\": ") && !$0.contains("dedup_key") }
        }
        #expect(firstStep(before.stdout).contains { $0.contains("disk full") } && firstStep(before.stdout) == firstStep(after.stdout), "\(before.stdout)\n---\n\(after.stdout)")
    }

    /// XML stays XML and JSON stays JSON; a folder is migrated file by file.
    @Test func xmlAndJSONKeepTheirFormatInAFolder() async throws {
        let directory = makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/project/jobs", withIntermediateDirectories: true)
        try """
            <joblist><job><name>note</name><description/>
              <sequence><command><step-plugin type="pd-note-step"><configuration>
                <entry key="api_token" value="keys/pd/api"/><entry key="incident_id" value="P1"/><entry key="note" value="hi"/>
              </configuration></step-plugin></command></sequence>
            </job></joblist>
            """.write(toFile: directory + "/project/jobs/note.xml", atomically: true, encoding: .utf8)
        try #"[{"name": "get", "sequence": {"commands": [{"type": "pagerduty-get-incident", "configuration": {"apiKey": "keys/pd/api", "pd-id": "P1"}}]}}]"#
            .write(toFile: directory + "/project/jobs/get.json", atomically: true, encoding: .utf8)
        let written = try await runBinary(["migrate", "project", "--write"], directory: directory)
        #expect(written.code == 0 && written.stdout.contains("written to 2 files"), "\(written.stdout)\(written.stderr)")
        let xml = try String(contentsOfFile: directory + "/project/jobs/note.xml", encoding: .utf8)
        #expect(xml.hasPrefix("<?xml") && xml.contains("<step-plugin type='pagerduty-incident-note'>") && xml.contains("<entry key='api_key_path' value='keys/pd/api' />"), "\(xml)")
        let json = try String(contentsOfFile: directory + "/project/jobs/get.json", encoding: .utf8)
        #expect(json.hasPrefix("[") && json.contains("\"api_key_path\": \"keys/pd/api\"") && json.contains("\"incident_id\": \"P1\""), "\(json)")
        // The key the jobs name must be in key storage for them to validate.
        let missing = try await runBinary(["validate", "project"], directory: directory)
        #expect(missing.code == 2 && missing.stderr.contains("no key at keys/pd/api"), "\(missing.stderr)")
        #expect(try await runBinary(["keys", "put", "keys/pd/api", "--password-stdin"], stdin: "u+abcdefghijklmnopqr", directory: directory).code == 0)
        let checked = try await runBinary(["validate", "project"], directory: directory)
        #expect(checked.code == 0, "\(checked.stdout)\(checked.stderr)")
    }
}
