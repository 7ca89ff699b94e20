import Foundation
import StepKit
import Testing
import TestSupport
import Values

@testable import Sandbox

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
/// PagerDuty's official OpenAPI files, in the shared folder beside the repository.
let specFolder = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/pagerduty-openapi").path

let conformanceAvailable = FileManager.default.fileExists(atPath: specFolder + "/REST/openapiv3.json") && pythonHas("jsonschema")


@Suite struct ConformanceTests {
    /// Every request the steps send, over every example job and a job that uses the steps the
    /// examples do not, validates against PagerDuty's official OpenAPI files.
    @Test(.enabled(if: conformanceAvailable, "needs ../shared/reference/pagerduty-openapi and python3 with jsonschema"))
    func requestsMatchTheOfficialOpenAPIFiles() async throws {
        // Each example against a sandbox of its own, as a user runs it; their requests pooled.
        var requests: [Value] = []
        let examples = packageRoot.appendingPathComponent("examples/jobs").path
        for name in try FileManager.default.contentsOfDirectory(atPath: examples).filter({ $0.hasSuffix(".yaml") }).sorted() {
            let example = try StepFixture()
            defer { example.retire() }
            let outcome = try await example.run(try String(contentsOfFile: examples + "/" + name, encoding: .utf8))
            #expect(outcome.state == .succeeded, "\(name): \(example.log.all.suffix(3000))")
            requests += example.requests
        }
        let f = try StepFixture()
        defer { f.retire() }
        let rest = try await f.run("""
            - name: the rest of the steps
              sequence:
                commands:
                - type: pagerduty-send-event
                  configuration: {summary: conformance, source: test, dedup_key: conformance}
                - type: pagerduty-list-incidents
                  configuration: {incident_key: conformance, since: '2026-10-01T00:00:00Z', until: '2026-12-31T00:00:00Z', urgencies: 'high,low', sort_by: 'created_at:desc', include: assignees}
                - type: pagerduty-start-incident-workflow
                  configuration: {incident_id: '${data.incident_ids}', workflow_id: PWF0001}
                - type: pagerduty-update-escalation-policy
                  configuration: {incident_id: '${data.incident_id}', escalation_policy_id: PEP0002}
                - type: pagerduty-get-incident
                  configuration: {incident_id: '${data.incident_id}', include_first_trigger_log_entry: 'true'}
                - type: pagerduty-list-users
                  configuration: {query: a, team_ids: PTEAM01}
                - type: pagerduty-get-user
                  configuration: {email: bob@example.com}
                - type: pagerduty-update-user
                  configuration: {user_id: PUSR004, time_zone: UTC, color: red}
                - type: pagerduty-delete-user
                  configuration: {user_id: PUSR004}
                - type: pagerduty-list-schedules
                  configuration: {query: checkout}
                - type: pagerduty-list-escalation-policies
                  configuration: {team_ids: PTEAM02}
                - type: pagerduty-export-directory
            """)
        #expect(rest.state == .succeeded, "\(f.log.all)")
        let file = f.storage + "/requests.json"
        try JSONWriter.write(.array(requests + f.requests)).write(toFile: file, atomically: true, encoding: .utf8)
        let script = packageRoot.appendingPathComponent("Tests/Conformance/validate-requests.py").path
        let (status, data) = try await runTool(["python3", script, file, specFolder])
        let output = String(decoding: data, as: UTF8.self)
        #expect(status == 0, "\(output)")
        #expect(output.contains("checked") && !output.contains("checked 0 requests"))
        // And the sandbox's answers to them against the response schemas (issue P): what a
        // job sees from the sandbox is what PagerDuty itself could send.
        let answers = packageRoot.appendingPathComponent("Tests/Conformance/validate-responses.py").path
        let (answerStatus, answerData) = try await runTool(["python3", answers, file, specFolder])
        let answerOutput = String(decoding: answerData, as: UTF8.self)
        #expect(answerStatus == 0, "\(answerOutput)")
        #expect(answerOutput.contains("checked") && !answerOutput.contains("checked 0 answers"))
    }
}

