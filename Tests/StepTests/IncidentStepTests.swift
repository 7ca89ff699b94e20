import Foundation
@testable import HTTPServer
import StepKit
import Testing
import Values

@testable import Sandbox

@Suite struct IncidentStepTests {
    @Test func noteLandsOnTheIncidentAsTheFromUser() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let id = try await f.openIncident()
        let outcome = try await f.step("pd-note-step", ["incident_id": "1", "note": "checked the disk", "email": "bob@example.com"])
        #expect(outcome.state == .succeeded, "\(f.log.all)")
        let note = f.incident(id)?["notes"]?[0]
        #expect(note?["content"] == "checked the disk" && note?["user"]?["id"] == "PUSR002")
        #expect(outcome.data.groups["data"]?["incident_id"] == id)
    }

    @Test func escalateChangesTheLevelAndAssignees() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let id = try await f.openIncident()
        _ = try await f.step("pagerduty-escalate-incident", ["incident_id": id, "escalation_level": "2"])
        #expect(f.incident(id)?["escalation_level"] == 2)
        #expect(f.incident(id)?["assignee_ids"] == ["PUSR001"])
        let beyond = try await f.step("pagerduty-escalate-incident", ["incident_id": id, "escalation_level": "7"])
        #expect(beyond.exitCode == .failed)
        #expect(f.log.all.contains("code 1006") && f.log.all.contains("not one of them"))
        let bad = try await f.step("pagerduty-escalate-incident", ["incident_id": id, "escalation_level": "two"])
        #expect(bad.exitCode == .invalidInput && f.log.all.contains("'escalation_level' must be a whole number"))
    }

    @Test func retiredResponsePlaysPointToIncidentWorkflows() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let id = try await f.openIncident()
        let outcome = try await f.step("pd-run-response-play-step", ["incident_id": id, "response_play_id": "PPLAY1"])
        #expect(outcome.exitCode == .failed)
        #expect(f.log.all.contains("retired response plays") && f.log.all.contains("pagerduty-start-incident-workflow"))
    }

    @Test func startIncidentWorkflowCreatesAnInstance() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let id = try await f.openIncident()
        let outcome = try await f.step("pd-start-incident-workflow-step", ["incident_id": id, "incident_workflow_id": "PWF0001"])
        #expect(outcome.state == .succeeded)
        #expect(f.incident(id)?["workflow_instances"]?[0]?["workflow"] == "PWF0001")
        let missing = try await f.step("pagerduty-start-incident-workflow", ["incident_id": id, "workflow_id": "PNOPE"])
        #expect(missing.exitCode == .failed && f.log.all.contains("HTTP 404"))
    }

    @Test func updateStatusAcknowledgesAndPostsAStatusUpdate() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let id = try await f.openIncident()
        _ = try await f.step("pd-status-update-step", ["incident_id": id, "status": "acknowledged", "message": "on it"])
        #expect(f.incident(id)?["status"] == "acknowledged")
        #expect(f.incident(id)?["status_updates"]?[0]?["message"] == "on it")
        let nothing = try await f.step("pagerduty-update-status", ["incident_id": id])
        #expect(nothing.exitCode == .invalidInput)
    }

    @Test func updateIncidentResolvesAndAssignsByEmail() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let id = try await f.openIncident()
        _ = try await f.step("pd-update-incident-step", ["incident_id": id, "assignees": "bob@example.com, PUSR003", "title": "disk full on web1", "urgency": "low"])
        #expect(f.incident(id)?["assignee_ids"] == ["PUSR002", "PUSR003"])
        #expect(f.incident(id)?["title"] == "disk full on web1" && f.incident(id)?["urgency"] == "low")
        let unknown = try await f.step("pagerduty-update-incident", ["incident_id": id, "assignees": "nobody@example.com"])
        #expect(unknown.exitCode == .invalidInput && f.log.all.contains("no PagerDuty user has the email nobody@example.com"))
        _ = try await f.step("pagerduty-update-incident", ["incident_id": id, "status": "resolved", "resolution": "freed space"])
        #expect(f.incident(id)?["status"] == "resolved" && f.incident(id)?["resolution"] == "freed space")
        let resolutionAlone = try await f.step("pagerduty-update-incident", ["incident_id": id, "resolution": "x"])
        #expect(resolutionAlone.exitCode == .invalidInput)
    }

    @Test func getIncidentOutputsItsFields() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let id = try await f.openIncident()
        let outcome = try await f.step("pagerduty-get-incident", ["pd-id": "1"])
        let data = outcome.data.groups["data"] ?? [:]
        #expect(data["incident_id"] == id && data["status"] == "triggered" && data["title"] == "disk full")
        #expect(data["service_name"] == "Checkout API" && data["escalation_policy_id"] == "PEP0001" && data["incident_key"] == "k1")
        #expect(data["assignees"] == "PUSR001" && data["urgency"] == "high" && data["html_url"]?.hasSuffix("/incidents/\(id)") == true)
        let missing = try await f.step("pagerduty-get-incident", ["incident_id": "PNOPE"])
        #expect(missing.exitCode == .failed && f.log.all.contains("HTTP 404"))
    }

    @Test func updateEscalationPolicyMovesTheIncident() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let id = try await f.openIncident()
        _ = try await f.step("pagerduty-update-escalation", ["pd-id": id, "escalation-policy": "PEP0002"])
        #expect(f.incident(id)?["escalation_policy"]?["id"] == "PEP0002")
        let unknown = try await f.step("pagerduty-update-escalation-policy", ["incident_id": id, "escalation_policy_id": "PEPNOPE"])
        #expect(unknown.exitCode == .failed && f.log.all.contains("code 1014"))
    }

    @Test func addRespondersRecordsTheRequest() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let id = try await f.openIncident()
        let outcome = try await f.step("pagerduty-add-additional-responders", ["pd-id": id, "user": "carol@example.com", "escalation-policy": "PEP0002", "message": "join please", "requester": "alice@example.com"])
        #expect(outcome.state == .succeeded, "\(f.log.all)")
        let request = f.incident(id)?["responder_requests"]?[0]
        #expect(request?["requester"]?["id"] == "PUSR001" && request?["message"] == "join please")
        #expect(request?["responder_request_targets"]?.arrayValue?.compactMap { $0["responder_request_target"]?["id"]?.stringValue } == ["PUSR003", "PEP0002"])
        let none = try await f.step("pagerduty-add-responders", ["incident_id": id, "message": "x"])
        #expect(none.exitCode == .invalidInput && f.log.all.contains("at least one responder"))
    }

    @Test func listIncidentsFiltersAndChecksTheWindow() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        _ = try await f.openIncident("a")
        let b = try await f.openIncident("b")
        _ = try await f.step("pagerduty-update-incident", ["incident_id": b, "status": "resolved"])
        let file = f.storage + "/incidents.json"
        let open = try await f.step("pagerduty-list-incidents", ["statuses": "triggered", "output_file": file])
        #expect(open.data.groups["data"]?["count"] == "1")
        let written = try JSONParser.parse(String(contentsOfFile: file, encoding: .utf8))
        #expect(written["incidents"]?[0]?["incident_key"] == "a")
        let all = try await f.step("pagerduty-list-incidents", ["limit": "10"])
        #expect(all.data.groups["data"]?["count"] == "2")
        let tooLong = try await f.step("pagerduty-list-incidents", ["since": "2026-01-01T00:00:00Z", "until": "2026-09-01T00:00:00Z"])
        #expect(tooLong.exitCode == .invalidInput && f.log.all.contains("longer than 6 months"))
        // The three ISO 8601 forms PagerDuty's own answers and users write.
        for since in ["2026-11-01T00:00:00Z", "2026-11-01T00:00:00.250Z", "2026-11-01"] {
            let windowed = try await f.step("pagerduty-list-incidents", ["since": since, "until": "2026-12-01T00:00:00Z"])
            #expect(windowed.exitCode == .success, "\(since): \(f.log.all)")
        }
        let badStatus = try await f.step("pagerduty-list-incidents", ["statuses": "open"])
        #expect(badStatus.exitCode == .invalidInput)
    }

    @Test func listIncidentAlertsGivesTheDedupKeys() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let a = try await f.openIncident("key-a")
        let b = try await f.openIncident("key-b")
        let outcome = try await f.step("pagerduty-list-incident-alerts", ["incident_ids": "\(a),\(b)"])
        #expect(outcome.data.groups["data"]?["dedup_keys"] == "key-a,key-b")
        #expect(outcome.data.groups["data"]?["count"] == "2")
    }

    @Test func bulkResolveReportsWhichFailedAndWhy() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let a = try await f.openIncident("a")
        let b = try await f.openIncident("b")
        let ok = try await f.step("pagerduty-resolve-incidents", ["incident_ids": "\(a),\(b)", "resolution": "bulk"])
        #expect(ok.state == .succeeded)
        #expect(f.incident(a)?["status"] == "resolved" && f.incident(b)?["status"] == "resolved")
        let c = try await f.openIncident("c")
        let mixed = try await f.step("pagerduty-resolve-incidents", ["incident_ids": "\(c),PMISSING"])
        #expect(mixed.exitCode == .failed)
        #expect(f.incident(c)?["status"] == "resolved")
        #expect(f.log.all.contains("1 of 2 incidents could not be resolved") && f.log.all.contains("PMISSING"))
    }

    @Test func bulkResolveSplitsIntoBatchesOf250() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        // 260 open incidents, opened straight through the sandbox's Events API (above its
        // per-key limit of 120 a minute, so that is raised first).
        _ = f.sandbox.handle(HTTPRequest(method: "POST", target: "/_sandbox/limits", path: "/_sandbox/limits", query: [], headers: [], body: Array(#"{"events": 1000}"#.utf8)))
        for i in 0..<260 {
            let event = #"{"routing_key":"\#(Sandbox.demo.routingKey)","event_action":"trigger","dedup_key":"bulk-\#(i)","payload":{"summary":"s","source":"x","severity":"info"}}"#
            _ = f.sandbox.handle(HTTPRequest(method: "POST", target: "/v2/enqueue", path: "/v2/enqueue", query: [], headers: [], body: Array(event.utf8)))
        }
        let ids = (f.state["incidents"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        #expect(ids.count == 260)
        let outcome = try await f.step("pagerduty-resolve-incidents", ["incident_ids": ids.joined(separator: ",")])
        #expect(outcome.state == .succeeded, "\(f.log.all.suffix(2000))")
        #expect(outcome.data.groups["data"]?["count"] == "260")
        let puts = f.requests.filter { $0["method"] == "PUT" && $0["path"] == "/incidents" }
        #expect(puts.compactMap { $0["body"]?["incidents"]?.arrayValue?.count } == [250, 10])
        #expect((f.state["incidents"]?.arrayValue ?? []).allSatisfy { $0["status"] == "resolved" })
    }

    @Test func writesWithoutFromFailBeforeSending() async throws {
        let f = try StepFixture(extra: ["pagerduty.from_email="])
        defer { f.retire() }
        let id = try await f.openIncident()
        let before = f.requests.count
        let outcome = try await f.step("pagerduty-incident-note", ["incident_id": id, "note": "x"])
        #expect(outcome.exitCode == .invalidInput && f.log.all.contains("requires a From header"))
        #expect(f.requests.count == before)
    }

    @Test func dryRunShowsTheRequestsAndSendsNone() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-update-incident", ["incident_id": "PX", "assignees": "bob@example.com", "status": "acknowledged"], dryRun: true)
        #expect(outcome.state == .succeeded)
        #expect(f.requests.isEmpty)
        #expect(f.log.all.contains("\"method\": \"PUT\"") && f.log.all.contains("<id of bob@example.com>") && f.log.all.contains("Token token=****"))
        #expect(!f.log.all.contains(Sandbox.demo.apiKey))
    }
}
