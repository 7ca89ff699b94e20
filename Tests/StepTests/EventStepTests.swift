import Foundation
@testable import HTTPServer
import StepKit
import Testing
import Values

@testable import Sandbox

@Suite struct EventStepTests {
    @Test func triggerDedupAcknowledgeResolveAndChangeThroughAJob() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.run("""
            - name: incident drill
              options: [{name: host, value: web1}]
              sequence:
                commands:
                - type: pagerduty-send-event
                  configuration: {summary: '${option.host} down', source: '${option.host}', severity: critical, dedup_key: 'drill-${option.host}'}
                - type: pd-sent-event-step
                  configuration: {payload_summary: 'again', payload_source: x, event_action: trigger, dedupe_key: '${data.dedup_key}'}
                - type: pagerduty-acknowledge-event
                  configuration: {dedup_key: '${data.dedup_key}'}
                - type: pagerduty-send-change-event
                  configuration: {summary: 'restarted nginx', custom_details: "host=web1\\naction=restart"}
                - type: pagerduty-resolve-event
                  configuration: {dedup_key: '${data.dedup_key}'}
            """)
        #expect(outcome.state == .succeeded, "\(f.log.all)")
        let incidents = f.state["incidents"]?.arrayValue ?? []
        #expect(incidents.count == 1)
        #expect(incidents.first?["title"] == "web1 down")
        #expect(incidents.first?["status"] == "resolved")
        #expect(incidents.first?["alerts"]?[0]?["alert_key"] == "drill-web1")
        #expect(incidents.first?["alerts"]?[0]?["event_count"] == 2)
        #expect(incidents.first?["log_entries"]?.arrayValue?.contains { $0["type"] == "acknowledge_log_entry" } == true)
        #expect(f.state["change_events"]?[0]?["custom_details"] == ["host": "web1", "action": "restart"])
        #expect(!f.log.all.contains(Sandbox.demo.routingKey))
    }

    @Test func aTriggerWithoutAKeyReturnsTheOneItMade() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-send-event", ["summary": "x", "source": "s"])
        let key = outcome.data.groups["data"]?["dedup_key"] ?? ""
        #expect(key.count == 36)
        #expect(f.state["incidents"]?[0]?["incident_key"]?.stringValue == key)
    }

    /// Bad input exits 2 before any request, naming the property.
    @Test(arguments: [
        (["summary": "x", "severity": "loud"], "severity"),
        (["summary": "x", "custom_details": "[1, 2]"], "custom_details"),
        (["summary": "x", "custom_details": "{broken"], "custom_details"),
        (["summary": "x", "event_action": "acknowledge"], "dedup_key"),
        (["summary": "x", "integration_key": "not-32-characters"], "routing key"),
        (["summary": "x", "custom_details": "{\"blob\": \"\(String(repeating: "z", count: 600_000))\"}"], "512 KB"),
        (["summary": "x", "images": "http://example.com/a.png"], "images"),
        (["summary": "x", "links": "{\"href\": \"x\"}"], "links"),
    ])
    func badInputExits2BeforeAnyRequest(configuration: [String: String], named: String) async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-send-event", configuration)
        #expect(outcome.exitCode == .invalidInput, "\(f.log.all)")
        #expect(f.log.all.contains(named), "\(f.log.all)")
        #expect(f.requests.isEmpty)
    }

    @Test func acknowledgeWithoutADedupKeyIsRefusedByValidation() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-acknowledge-event", [:])
        #expect(outcome.exitCode == .invalidInput)
        #expect(f.log.all.contains("'dedup_key' is required"))
        #expect(f.requests.isEmpty)
    }

    @Test func aLongSummaryIsCutWithAWarningAndThePageGoesOut() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-send-event", ["summary": String(repeating: "s", count: 1500), "source": "x"])
        #expect(outcome.state == .succeeded)
        #expect(f.log.all.contains("summary was 1500 characters; cut to 1024"))
        #expect(f.state["incidents"]?[0]?["title"]?.stringValue?.count == 1024)
    }

    @Test func theDetectionPresetMapsSourceSeverities() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        for (source, expected) in [("HIGH", "error"), ("critical", "critical"), ("Medium", "warning"), ("low", "info")] {
            _ = try await f.step("pagerduty-send-event", ["summary": source, "source": "edr", "severity": source, "severity_map": "detection", "dedup_key": source])
            let alert = f.state["incidents"]?.arrayValue?.last?["alerts"]?[0]
            #expect(alert?["severity"]?.stringValue == expected, "\(source)")
        }
        let unmapped = try await f.step("pagerduty-send-event", ["summary": "x", "severity": "SEVERE", "severity_map": "detection"])
        #expect(unmapped.exitCode == .invalidInput)
        #expect(f.log.all.contains("severity 'SEVERE' is not in the detection preset"))
        let custom = try await f.step("pagerduty-send-event", ["summary": "p1", "source": "x", "severity": "P1", "severity_map": "{\"P1\": \"critical\", \"P2\": \"warning\"}"])
        #expect(custom.state == .succeeded)
        #expect(f.state["incidents"]?.arrayValue?.last?["alerts"]?[0]?["severity"] == "critical")
    }

    @Test func dedupFromDerivesTheSHA256OfTheText() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        _ = try await f.step("pagerduty-send-event", ["summary": "a", "source": "x", "dedup_from": "abc"])
        _ = try await f.step("pagerduty-send-event", ["summary": "b", "source": "x", "dedup_from": "abc"])
        let incidents = f.state["incidents"]?.arrayValue ?? []
        #expect(incidents.count == 1)
        #expect(incidents[0]["alerts"]?[0]?["alert_key"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func changeEventsRefuseRulesetKeys() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-send-change-event", ["summary": "x", "integration_key": "R" + String(repeating: "a", count: 31)])
        #expect(outcome.exitCode == .invalidInput)
        #expect(f.log.all.contains("ruleset"))
    }

    @Test func aRefusalShowsPagerDutysDetails() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        // A 32-character key the sandbox does not know: PagerDuty's refusal comes back in full.
        let outcome = try await f.step("pagerduty-send-event", ["summary": "x", "source": "y", "integration_key": String(repeating: "a", count: 32)])
        #expect(outcome.exitCode == .failed)
        #expect(f.log.all.contains("HTTP 400") && f.log.all.contains("invalid event") && f.log.all.contains("no integration with this routing key"))
        #expect(!f.log.all.contains(String(repeating: "a", count: 32)))
    }

    @Test func dryRunSendsNothingAndMasksTheKey() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-send-event", ["summary": "x", "source": "y"], dryRun: true)
        #expect(outcome.state == .succeeded)
        #expect(f.requests.isEmpty)
        #expect(f.log.all.contains("\"routing_key\": \"****\"") && !f.log.all.contains(Sandbox.demo.routingKey))
        #expect(f.log.all.contains("/v2/enqueue"))
    }

    @Test func temporaryFailuresExit3AfterTheRetries() async throws {
        let f = try StepFixture(extra: ["pagerduty.retry.max_attempts=2"])
        defer { f.retire() }
        _ = f.sandbox.handle(HTTPRequest(method: "POST", target: "/_sandbox/faults", path: "/_sandbox/faults", query: [], headers: [], body: Array(#"{"path": "/v2/enqueue", "count": 5, "status": 503}"#.utf8)))
        let outcome = try await f.step("pagerduty-send-event", ["summary": "x", "source": "y"])
        #expect(outcome.exitCode == .temporary)
        #expect(f.log.all.contains("gave up after 2 attempts"))
    }
}
