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

    /// Secrets holding `"`, `\` and non-ASCII letters are masked in every form they take in what
    /// pdstep writes (as is, JSON-escaped, \u-escaped, percent-encoded), also as captured data
    /// key names and where config show would expand them into another value. A 3-character
    /// secret is masked as a whole value and leaves ordinary words alone.
    @Test func escapedUnicodeAndShortSecretsNeverLeak() async throws {
        let tricky = #"Pa"ss\wörd-é7"#
        let short = "q7Z"
        let dbPassword = #"db"pa\ss-9"#
        let dir = makeTemporaryDirectory()
        try """
            - name: secrets
              options:
              - {name: password, secure: true, valueExposed: true}
              - {name: pin, secure: true, valueExposed: true}
              sequence:
                keepgoing: true
                commands:
                - exec: echo "the password is ${option.password}"
                - exec: echo ${option.pin}
                - exec: echo "production q7Zebra"
                - exec: echo "RUNDECK:DATA:${option.password}=captured"
                - type: pagerduty-send-event
                  configuration:
                    summary: 'login with ${option.password}'
                    source: x
            """.write(toFile: dir + "/secrets.yaml", atomically: true, encoding: .utf8)
        try "db.password=\(dbPassword.replacingOccurrences(of: "\\", with: "\\\\"))\ndb.url=postgres://app:${db.password}@db/x\n"
            .write(toFile: dir + "/framework.properties", atomically: true, encoding: .isoLatin1)
        var outputs: [(String, Outcome)] = []
        for extra in [["--log-format", "text"], ["--log-format", "json"], ["--dry-run"], ["--dry-run", "--log-format", "json"]] {
            outputs.append(("run \(extra)", try await runBinary(["run", "secrets.yaml", "--sandbox", "-o", "password=\(tricky)", "-o", "pin=\(short)"] + extra, directory: dir)))
        }
        let wrongKey = #"{"api_key": "Pa\"ss\\wörd-é7", "integration_key": "\#(Sandbox.demo.routingKey)"}"#
        outputs.append(("step with a tricky key", try await runBinary(["test-connection", "--sandbox", "--config", "-"], stdin: wrongKey, directory: dir)))
        outputs.append(("step, rundeck output", try await runBinary(["test-connection", "--sandbox", "--output", "rundeck", "--config", "-"], stdin: wrongKey, directory: dir)))
        outputs.append(("config show", try await runBinary(["config", "show"], directory: dir)))
        outputs.append(("config show json", try await runBinary(["config", "show", "--json"], directory: dir)))
        outputs.append(("config show json raw", try await runBinary(["config", "show", "--json", "--raw"], directory: dir)))
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        func forms(_ secret: String) -> [String] {
            let json = String(JSONWriter.write(.string(secret)).dropFirst().dropLast())
            let ascii = json.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u%04x", $0.value) }.joined()
            return [secret, json, ascii, secret.addingPercentEncoding(withAllowedCharacters: unreserved) ?? secret]
        }
        for (label, outcome) in outputs {
            let text = outcome.stdout + outcome.stderr
            for secret in [tricky, dbPassword] {
                for form in forms(secret) {
                    #expect(!text.contains(form), "\(label) printed a secret as \(form.debugDescription)")
                }
            }
            #expect(!text.contains("p****duction") && !text.contains("****ebra"), "\(label) masked an ordinary word")
        }
        let text = outputs[0].1.stdout
        #expect(text.contains("the password is ****") && text.contains("production q7Zebra"))
        #expect(text.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "****" }, "the short secret on its own line is masked")
        #expect(!text.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == short })
        // A dry run shows the command with the short secret masked too (it is known by value there).
        #expect(outputs[2].1.stdout.contains("would run: echo ****") && !outputs[2].1.stdout.contains("echo \(short)"), "\(outputs[2].1.stdout)")
        #expect(outputs[0].1.stderr.contains("shorter than 4 characters"))
        #expect(outputs.first { $0.0 == "config show" }?.1.stdout.contains("postgres://app:****@db/x") == true)
    }
}
