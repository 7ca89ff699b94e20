import Foundation
import Sandbox
import Testing
import TestSupport
import Values

@testable import PDStepCLI

/// The secret-leak check: runs the end-to-end paths with known secret values and scans
/// everything pdstep printed (logs, JSON results, errors, dry runs) for them.
@Suite struct LeakCheckTests {
    static let secureOption = "S3cure-Option-Value-7431"
    static let wrongKey = "wrong-api-key-5e8f2a"
    static let secrets = [
        Sandbox.demo.apiKey, Sandbox.demo.userAPIKey, Sandbox.demo.routingKey, Sandbox.demo.secondRoutingKey,
        Sandbox.demo.oauthClientSecret, secureOption, wrongKey,
    ]

    @Test func noSecretInAnyOutput() async throws {
        var outputs: [(String, Outcome)] = []
        let examples = RunCommandTests.root.appendingPathComponent("examples/jobs").path
        for name in try FileManager.default.contentsOfDirectory(atPath: examples).filter({ $0.hasSuffix(".yaml") }).sorted() {
            for extra in [[], ["--log-format", "json"], ["--dry-run"]] {
                outputs.append(("\(name) \(extra)", try await runBinary(["run", examples + "/" + name, "--sandbox"] + extra, directory: makeTemporaryDirectory())))
            }
        }
        let dir = makeTemporaryDirectory()
        try """
            - name: secrets
              options:
              - {name: password, secure: true, valueExposed: true}
              sequence:
                commands:
                - exec: echo "the password is ${option.password}"
                - type: pagerduty-send-event
                  configuration:
                    summary: 'login with ${option.password}'
                    source: x
                    custom_details: '{"password": "${option.password}"}'
                - exec: echo "exit with it $RD_OPTION_PASSWORD" >&2; exit 4
            """.write(toFile: dir + "/secrets.yaml", atomically: true, encoding: .utf8)
        for format in ["text", "json"] {
            outputs.append(("secure option \(format)", try await runBinary(["run", "secrets.yaml", "--sandbox", "-o", "password=\(Self.secureOption)", "--log-format", format], directory: dir)))
        }
        outputs.append(("dry run", try await runBinary(["run", "secrets.yaml", "--sandbox", "--dry-run", "-o", "password=\(Self.secureOption)"], directory: dir)))
        outputs.append(("step with a key flag", try await runBinary(["test-connection", "--sandbox", "--api-key", Sandbox.demo.userAPIKey], directory: dir)))
        outputs.append(("wrong key", try await runBinary(["test-connection", "--sandbox", "--config", "-"], stdin: "{\"api_key\": \"\(Self.wrongKey)\", \"integration_key\": \"\(Sandbox.demo.routingKey)\"}", directory: dir)))
        outputs.append(("dry-run note", try await runBinary(["incident-note", "--sandbox", "--incident-id", "P1", "--note", "x", "--dry-run"], directory: dir)))
        try "pagerduty.api_token=\(Sandbox.demo.apiKey)\nrouting_key=\(Sandbox.demo.routingKey)\n".write(toFile: dir + "/framework.properties", atomically: true, encoding: .utf8)
        outputs.append(("config show", try await runBinary(["config", "show"], directory: dir)))
        outputs.append(("config show json raw", try await runBinary(["config", "show", "--json", "--raw"], directory: dir)))
        #expect(outputs.count > 20)
        for (label, outcome) in outputs {
            let text = outcome.stdout + outcome.stderr
            for secret in Self.secrets {
                #expect(!text.contains(secret), "\(label) printed a secret: \(secret.prefix(6))…")
            }
        }
        // And the secure option was really used: its masked form shows where it went.
        #expect(outputs.first { $0.0 == "secure option text" }?.1.stdout.contains("the password is ****") == true)
    }
}
