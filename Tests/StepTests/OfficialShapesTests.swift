import Foundation
import Testing
import TestSupport
import Values

@testable import PagerDuty
@testable import Sandbox

/// PagerDuty as it really answers, with the official bodies of its OpenAPI file
/// (`../shared/reference/pagerduty-openapi`, read at test time; skipped when absent): every
/// detail of an error is kept, a lookup's HTTP failure is that failure, and every phone-like
/// contact method is a phone.
struct OfficialShapesTests {
    static let specPath = specFolder + "/REST/openapiv3.json"
    static let available = FileManager.default.fileExists(atPath: specPath)

    static func spec() throws -> Value { try JSONParser.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: specPath)))) }

    /// The spec's own BadRequest example: `errors` is an object of field → messages.
    @Test(.enabled(if: available)) func errorsAsAnObjectAreKeptWithTheirField() throws {
        let example = try Self.spec()["components"]?["responses"]?["BadRequest"]?["content"]?["application/json"]?["example"]
        let body = try #require(example)
        let error = PagerDutyError.decode(status: 400, body: Array(JSONWriter.write(body).utf8), url: "https://api.pagerduty.com/incidents")
        #expect(error.details == ["event.effective_since: Date cannot be more than 12 months in the future"], "\(error.details)")
        #expect(error.message.contains("Invalid Request") && error.code == 2001)
    }

    /// A user looked up by email whose lookup fails over HTTP fails as that request: its kind,
    /// exit code and PagerDuty's errors[] (the 401 hint too), said as a lookup.
    @Test(arguments: [(429, 3, "rate"), (401, 1, "PagerDuty did not accept the key"), (403, 1, "not allowed"), (500, 3, "server")])
    func aLookupsHTTPFailureIsThatFailure(status: Int, exitCode: Int32, detail: String) async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let body = #"{"error": {"message": "Lookup refused", "code": 2020, "errors": ["\#(detail) reason"]}}"#
        f.fault(#"{"path": "/users", "method": "GET", "count": 10, "status": \#(status), "body": \#(JSONWriter.quote(body))}"#)
        let outcome = try await f.step("pagerduty-get-user", ["email": "alice@example.com"])
        #expect(outcome.exitCode.rawValue == exitCode, "\(f.log.all)")
        #expect(f.log.all.contains("looking up the user alice@example.com (property 'email'): PagerDuty answered HTTP \(status)"), "\(f.log.all)")
        #expect(f.log.all.contains(detail), "\(f.log.all)")
        // An email nobody has is still the property's problem.
        let g = try StepFixture()
        defer { g.retire() }
        let unknown = try await g.step("pagerduty-get-user", ["email": "nobody@example.com"])
        #expect(unknown.exitCode == .invalidInput && g.log.all.contains("property 'email': no PagerDuty user has the email nobody@example.com"))
    }

    /// WhatsApp numbers (a contact-method type of the spec) are phones, and each phone says
    /// what it is.
    @Test func whatsAppNumbersArePhones() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        let methods = #"""
            {"contact_methods": [
              {"id": "PC1", "type": "email_contact_method", "summary": "Work", "label": "Work", "address": "alice@example.com"},
              {"id": "PC2", "type": "phone_contact_method", "summary": "Mobile", "label": "Mobile", "address": "5555550100", "country_code": 1},
              {"id": "PC3", "type": "whatsapp_contact_method", "summary": "WhatsApp", "label": "WhatsApp", "address": "5555550199", "country_code": 1}
            ]}
            """#
        f.fault(#"{"path": "/users/PUSR001/contact_methods", "method": "GET", "count": 1, "status": 200, "body": \#(JSONWriter.quote(methods))}"#)
        let outcome = try await f.step("pagerduty-get-contact-methods", ["user_ids": "PUSR001"])
        #expect(outcome.exitCode == .success, "\(f.log.all)")
        #expect(outcome.data.groups["data"]?["phones"] == "5555550100,5555550199" && outcome.data.groups["data"]?["phone_types"] == "phone,whatsapp", "\(outcome.data.groups)")
    }

    /// test-connection's 401: its hint, then PagerDuty's own words.
    @Test func testConnectionKeepsPagerDutysWords() async throws {
        let f = try StepFixture()
        defer { f.retire() }
        f.fault(#"{"path": "/abilities", "method": "GET", "count": 1, "status": 401, "body": "{\"error\": {\"message\": \"Authentication failed\", \"code\": 2006, \"errors\": [\"The API key is invalid\"]}}"}"#)
        let outcome = try await f.step("pagerduty-test-connection", [:])
        #expect(outcome.exitCode == .failed, "\(f.log.all)")
        #expect(f.log.all.contains("PagerDuty refused the key at"), "\(f.log.all)")
        #expect(f.log.all.contains("PagerDuty said: PagerDuty answered HTTP 401") && f.log.all.contains("Authentication failed (code 2006)") && f.log.all.contains("The API key is invalid"), "\(f.log.all)")
    }
}
