import Foundation
@testable import HTTPServer
import StepKit
import StepLibrary
import Testing
import TestSupport
import Values
@testable import Sandbox

@testable import PDStepCLI

/// A property's own name always wins over another property's alias, in every input channel.
@Suite struct PropertyNameTests {
    /// Rundeck sets RD_CONFIG_<PROPERTY> for every property; an alias equal to another
    /// property's name would make that property read the other's value (create-user took the
    /// new user's email as the From header).
    @Test func noAliasEqualsAnotherPropertysName() {
        var collisions: [String] = []
        for step in StepCatalog.builtIn.steps {
            let descriptor = step.descriptor
            let names = Set(descriptor.properties.map(\.name))
            var seen: [String: String] = [:]
            for property in descriptor.properties {
                for alias in property.aliases {
                    if names.contains(alias) { collisions.append("\(descriptor.name): alias '\(alias)' of '\(property.name)' is another property's name") }
                    if let other = seen[alias], other != property.name { collisions.append("\(descriptor.name): alias '\(alias)' names both '\(other)' and '\(property.name)'") }
                    seen[alias] = property.name
                }
            }
        }
        #expect(collisions.isEmpty, "\(collisions.joined(separator: "\n"))")
    }

    /// Each channel gives a property its own value even when an alias of it is set too.
    @Test func ownNameWinsOverAliasInEveryChannel() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        // RD_CONFIG_* (as Rundeck sets them), flags, and --config JSON.
        let viaEnvironment = try await runBinary(
            ["create-user", "--dry-run"], directory: f.directory,
            environment: ["RD_CONFIG_NAME": "New Person", "RD_CONFIG_EMAIL": "new@example.com", "RD_CONFIG_FROM_EMAIL": "ops@example.com"])
        let viaFlags = try await runBinary(
            ["create-user", "--dry-run", "--name", "New Person", "--email", "new@example.com", "--from-email", "ops@example.com"], directory: f.directory)
        let viaJSON = try await runBinary(
            ["create-user", "--dry-run", "--config", "-"], stdin: #"{"name": "New Person", "email": "new@example.com", "from_email": "ops@example.com"}"#,
            directory: f.directory)
        for outcome in [viaEnvironment, viaFlags, viaJSON] {
            #expect(outcome.code == 0, "\(outcome.stderr)")
            let plan = try JSONParser.parse(outcome.stdout)["response"]?[0]
            #expect(plan?["headers"]?["From"] == "ops@example.com", "\(outcome.stdout)")
            #expect(plan?["body"]?["user"]?["email"] == "new@example.com", "\(outcome.stdout)")
        }
        // A Rundeck add-responders step: RD_CONFIG_REQUESTER is the requesting user's id, not From.
        let responders = try await runBinary(
            ["add-responders", "--dry-run", "--incident-id", "PINC001", "--users", "PUSER02", "--message", "join us"], directory: f.directory,
            environment: ["RD_CONFIG_REQUESTER": "PUSER01", "RD_CONFIG_FROM_EMAIL": "ops@example.com"])
        let plans = try JSONParser.parse(responders.stdout)["response"]?.arrayValue ?? []
        #expect(!plans.isEmpty && plans.allSatisfy { $0["headers"]?["From"] == "ops@example.com" }, "\(responders.stdout)\(responders.stderr)")
        #expect(plans.last?["body"]?["requester_id"] == "PUSER01", "\(responders.stdout)")
    }

    /// Ids go into URL paths: anything not PagerDuty-shaped is refused before a request is sent
    /// (`../services/PSVC1` once deleted a service over https).
    @Test(arguments: [
        ["delete-user", "--user-id", "../services/PSVC1"], ["get-incident", "--incident-id", "PINC001?include[]=x"],
        ["incident-note", "--incident-id", "PINC001/../../services", "--note", "x"], ["resolve-incidents", "--incident-ids", "PINC001,%2e%2e"],
        ["get-contact-methods", "--user-ids", "a b@x"], ["start-incident-workflow", "--workflow-id", "pwf1", "--incident-id", "PINC001"],
    ])
    func idsThatAreNotPagerDutyShapedAreRefusedBeforeSending(_ arguments: [String]) async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let outcome = try await runBinary(arguments, directory: f.directory)
        #expect(outcome.code == 2, "\(outcome.stdout)")
        #expect(try JSONParser.parse(outcome.stdout)["error"]?["message"]?.stringValue?.contains("must be a PagerDuty id") == true, "\(outcome.stdout)")
        #expect(f.sandbox.shared.withLock { $0.log }.isEmpty, "a request was sent")
    }
}
