import Foundation
import Settings
import StepKit
import Testing
import Values

@testable import Sandbox

@Suite struct UserStepTests {
    @Test func createUpdateGetDelete() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let created = try await f.step("pagerduty-create-user", ["name": "Erin", "email": "erin@example.com", "role": "observer", "title": "SRE", "time_zone": "UTC"])
        #expect(created.state == .succeeded, "\(f.log.all)")
        let id = created.data.groups["data"]?["user_id"] ?? ""
        let user = f.state["users"]?.arrayValue?.first { $0["id"]?.stringValue == id }
        #expect(user?["role"] == "observer" && user?["job_title"] == "SRE" && user?["email"] == "erin@example.com")
        _ = try await f.step("pagerduty-update-user", ["pd-id": id, "role": "limited_user"])
        let updated = f.state["users"]?.arrayValue?.first { $0["id"]?.stringValue == id }
        #expect(updated?["role"] == "limited_user" && updated?["name"] == "Erin")
        let put = f.requests.last { $0["method"] == "PUT" }
        #expect(put?["body"]?["user"]?.objectValue?.keys.sorted() == ["email", "name", "role", "type"])
        #expect(put?["body"]?["user"]?["name"] == "Erin" && put?["body"]?["user"]?["email"] == "erin@example.com")
        let got = try await f.step("pagerduty-get-user", ["email": "erin@example.com"])
        #expect(got.data.groups["data"]?["user_id"] == id && got.data.groups["data"]?["role"] == "limited_user")
        _ = try await f.step("pagerduty-delete-user", ["user_id": id])
        #expect(f.state["users"]?.arrayValue?.contains { $0["id"]?.stringValue == id } == false)
    }

    @Test func badRolesAndDuplicatesAreRefused() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let role = try await f.step("pagerduty-create-user", ["name": "X", "email": "x@example.com", "role": "superuser"])
        #expect(role.exitCode == .invalidInput && f.log.all.contains("'role' must be one of admin"))
        let taken = try await f.step("pagerduty-create-user", ["name": "Bob again", "email": "bob@example.com"])
        #expect(taken.exitCode == .failed && f.log.all.contains("Email has already been taken"))
    }

    @Test func deletingAUserWithIncidentsSaysExactlyThat() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        _ = try await f.openIncident()
        let outcome = try await f.step("pagerduty-delete-user", ["user_id": "PUSR001"])
        #expect(outcome.exitCode == .failed)
        // PagerDuty's own message first, then what to do.
        #expect(f.log.all.contains("PagerDuty answered HTTP 400"), "\(f.log.all)")
        #expect(f.log.all.contains("the user PUSR001 still has open incidents assigned: resolve or reassign them first"))
        #expect(f.log.all.contains("open incident assigned (#1)"))
        #expect(f.state["users"]?.arrayValue?.contains { $0["id"] == "PUSR001" } == true)
    }

    @Test func listsFollowEveryPageAndFilter() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        for i in 0..<120 { _ = try await f.step("pagerduty-create-user", ["name": "Bulk \(i)", "email": "bulk\(i)@example.com"]) }
        let all = try await f.step("pagerduty-list-users", [:])
        #expect(all.data.groups["data"]?["count"] == "124")
        #expect(f.requests.filter { $0["path"] == "/users" && $0["method"] == "GET" }.count == 2)
        let team = try await f.step("pagerduty-list-users", ["teams": "PTEAM02"])
        #expect(team.data.groups["data"]?["emails"] == "carol@example.com")
        let schedules = try await f.step("pagerduty-list-schedules", ["query": "payments"])
        #expect(schedules.data.groups["data"]?["ids"] == "PSCHED2")
        let policies = try await f.step("pagerduty-list-escalation-policies", ["team_ids": "PTEAM01"])
        #expect(policies.data.groups["data"]?["names"] == "Checkout escalation")
    }

    @Test func contactMethodsByIdOrEmail() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-get-contact-methods", ["user_ids": "alice@example.com,PUSR002"])
        #expect(outcome.data.groups["data"]?["emails"] == "alice@example.com,bob@example.com")
        #expect(outcome.data.groups["data"]?["phones"] == "15555550101,15555550102")
        let unknown = try await f.step("pagerduty-get-contact-methods", ["user_ids": "ghost@example.com"])
        #expect(unknown.exitCode == .invalidInput && f.log.all.contains("ghost@example.com"))
    }
}

@Suite struct ConnectionAndExportTests {
    @Test func testConnectionTellsKeyTypes() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let account = try await f.step("pagerduty-test-connection", [:])
        #expect(account.state == .succeeded && account.data.groups["data"]?["key_type"] == "account")
        let user = try await f.step("pagerduty-test-connection", ["api_key": Sandbox.demo.userAPIKey])
        #expect(user.data.groups["data"]?["key_type"] == "user" && user.data.groups["data"]?["user_email"] == "alice@example.com")
        #expect(!f.log.all.contains(Sandbox.demo.userAPIKey))
    }

    @Test func testConnectionFailsOnAWrongKeyNamingTheRegion() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-test-connection", ["api_key": "not-a-real-key"])
        #expect(outcome.exitCode == .failed)
        #expect(f.log.all.contains("(region us)") && f.log.all.contains("pagerduty.region=eu"))
        let routing = try await f.step("pagerduty-test-connection", ["integration_key": "short"])
        #expect(routing.exitCode == .failed && f.log.all.contains("must be 32 characters"))
    }

    @Test func testConnectionWarnsWhenWritesWillNeedFrom() async throws {
        let f = try StepFixture(extra: ["pagerduty.from_email="])
        defer { f.retire() }
        let outcome = try await f.step("pagerduty-test-connection", [:])
        #expect(outcome.state == .succeeded)
        #expect(f.log.all.contains("need a From user"))
    }

    /// The export of the seed data, field by field.
    @Test func exportDirectoryRecords() async throws {
        let f = try StepFixture(extra: ["pagerduty.subdomain=acme"])
        defer { f.retire() }
        let file = f.storage + "/directory.jsonl"
        let outcome = try await f.step("pagerduty-export-directory", ["output_file": file])
        #expect(outcome.data.groups["data"]?["count"] == "4")
        let first = try String(contentsOfFile: file, encoding: .utf8)
        let records = try first.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(records.map { "\($0["type"]?.text ?? "")/\($0["id"]?.text ?? "")" } == ["escalation_policy/PEP0001", "escalation_policy/PEP0002", "schedule/PSCHED1", "schedule/PSCHED2"])
        let policy = records[0]
        // No "updated": neither PagerDuty's Schedule nor its EscalationPolicy schema has a time
        // it was changed, so against real PagerDuty the field was always null.
        #expect(policy.objectValue?.keys == ["id", "type", "title", "content", "url", "racl"])
        #expect(policy["title"] == "Checkout escalation")
        #expect(policy["url"]?.stringValue == "\(f.url)/escalation_policies/PEP0001")
        #expect(policy["racl"] == ["acme", "PTEAM01"])
        let content = policy["content"]?.stringValue ?? ""
        #expect(content.contains("with 2 levels") && content.contains("Page the checkout schedule, then Alice"))
        #expect(content.contains("Level 1: schedule Checkout primary; escalates after 30 minutes."))
        #expect(content.contains("Level 2: user Alice Admin; escalates after 15 minutes."))
        #expect(content.contains("Repeats 2 times") && content.contains("handoff notifications: if_has_services") && content.contains("Services: Checkout API.") && content.contains("Teams: Checkout."))
        let payments = records[3]
        #expect(payments["racl"] == ["acme", "PTEAM01", "PTEAM02"])
        let layers = payments["content"]?.stringValue ?? ""
        #expect(layers.contains("Schedule Payments follow-the-sun (time zone Asia/Tokyo).") && layers.contains("Layer Day: Carol Payments; handoff every 1 day"))
        #expect(layers.contains("Layer Night: Bob Responder") && layers.contains("Used by escalation policies: Payments escalation."))
        // Unchanged data, byte-identical output.
        _ = try await f.step("pagerduty-export-directory", ["output_file": file])
        #expect(try String(contentsOfFile: file, encoding: .utf8) == first)
    }

    @Test func oauthClientCredentialsAreFetchedOnceAndNeverLogged() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let keys = KeyStorage(base: f.storage)
        try keys.putPassword("keys/pd/oauth/id", secret: Array(Sandbox.demo.oauthClientID.utf8))
        try keys.putPassword("keys/pd/oauth/secret", secret: Array(Sandbox.demo.oauthClientSecret.utf8))
        let outcome = try await f.run("""
            - name: oauth
              sequence:
                commands:
                - type: pagerduty-list-users
                  configuration: {oauth_client_id_path: keys/pd/oauth/id, oauth_client_secret_path: keys/pd/oauth/secret, oauth_scope: users.read}
                - type: pagerduty-list-schedules
                  configuration: {oauth_client_id_path: keys/pd/oauth/id, oauth_client_secret_path: keys/pd/oauth/secret, oauth_scope: users.read}
            """)
        #expect(outcome.state == .succeeded, "\(f.log.all)")
        #expect(f.requests.filter { $0["path"] == "/oauth/token" }.count == 1)
        #expect(f.requests.filter { $0["path"] == "/users" || $0["path"] == "/schedules" }.allSatisfy { $0["auth"] == "oauth" })
        #expect(!f.log.all.contains(Sandbox.demo.oauthClientSecret) && !f.log.all.contains("pdus+sandbox"))
        let wrong = try await f.step("pagerduty-list-users", ["oauth_client_id_path": "keys/pd/oauth/id", "oauth_client_secret_path": "keys/pd/api", "oauth_scope": "other"])
        #expect(wrong.exitCode == .failed && f.log.all.contains("invalid_client"))
    }
}
