import Foundation
@testable import HTTPServer
import Sandbox
import Settings
import StepKit
import StepLibrary
import Testing
import TestSupport
import Values

@testable import PDStepCLI

/// A folder set up as an orchestrator would: framework.properties pointing at a sandbox
/// started by the test, and key storage with the demo keys.
struct BinaryFixture {
    let sandbox = Sandbox()
    let directory = makeTemporaryDirectory()
    let url: String

    init(extra: String = "") throws {
        url = try sandbox.start()
        let keys = KeyStorage(base: directory + "/storage")
        try keys.putPassword("keys/pd/api", secret: Array(Sandbox.demo.apiKey.utf8))
        try keys.putPassword("keys/pd/routing_key", secret: Array(Sandbox.demo.routingKey.utf8))
        try """
            framework.pagerduty.api.url=\(url)
            framework.pagerduty.service.url=\(url)
            pagerduty.api_key_path=keys/pd/api
            pagerduty.routing_key_path=keys/pd/routing_key
            pagerduty.from_email=\(Sandbox.demo.fromEmail)
            pagerduty.retry.initial_delay=0.05
            \(extra)
            """.write(toFile: directory + "/framework.properties", atomically: true, encoding: .utf8)
    }

    var state: Value { sandbox.stateSnapshot() }

    func fault(_ json: String) {
        _ = sandbox.handle(HTTPRequest(method: "POST", target: "/_sandbox/faults", path: "/_sandbox/faults", query: [], headers: [], body: Array(json.utf8)))
    }
}

@Suite struct StepBinaryTests {
    /// As a Rundeck script plugin runs it: environment variables only, no flags.
    @Test func rundeckStyleEnvironmentOnly() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let outcome = try await runBinary(
            ["send-event"], directory: f.directory,
            environment: ["RD_CONFIG_SUMMARY": "db down", "RD_CONFIG_SOURCE": "db1", "RD_CONFIG_SEVERITY": "critical", "RD_CONFIG_DEDUP_KEY": "db1-down"])
        #expect(outcome.code == 0, "\(outcome.stderr)")
        let json = try JSONParser.parse(outcome.stdout)
        #expect(json["step"] == "pagerduty-send-event" && json["status"] == "succeeded" && json["error"] == .null)
        #expect(json["outputs"]?["dedup_key"] == "db1-down")
        #expect(f.state["incidents"]?[0]?["title"] == "db down")
        #expect(!(outcome.stdout + outcome.stderr).contains(Sandbox.demo.routingKey))
    }

    /// https end to end (settings, libcurl, TLS), trusting the CA named by pagerduty.tls.ca_bundle;
    /// without it the same self-signed server is refused before anything is sent.
    @Test(.enabled(if: tlsServerAvailable)) func httpsTrustsTheConfiguredCA() async throws {
        let pair = try await selfSignedCertificate()
        let body = #"{"status":"success","message":"Event processed","dedup_key":"tls-1"}"#
        let accepted = ["answer": "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"]
        let server = try await ScriptedServer([[accepted], [accepted]], tls: pair)
        let directory = makeTemporaryDirectory()
        try KeyStorage(base: directory + "/storage").putPassword("keys/pd/routing_key", secret: Array(Sandbox.demo.routingKey.utf8))
        func configure(_ extra: String) throws {
            try """
                framework.pagerduty.service.url=https://localhost:\(server.port)
                pagerduty.routing_key_path=keys/pd/routing_key
                pagerduty.retry.max_attempts=1
                \(extra)
                """.write(toFile: directory + "/framework.properties", atomically: true, encoding: .utf8)
        }
        let arguments = ["send-event", "--summary", "disk full", "--source", "web1", "--dedup-key", "tls-1"]
        try configure("pagerduty.tls.ca_bundle=\(pair.certificate)")
        let trusted = try await runBinary(arguments, directory: directory)
        #expect(trusted.code == 0, "\(trusted.stderr)")
        #expect(try JSONParser.parse(trusted.stdout)["outputs"]?["dedup_key"] == "tls-1")
        #expect(server.requests.first?.hasPrefix("1 POST /v2/enqueue HTTP/1.1 {") == true, "\(server.requests)")

        try configure("")
        let untrusted = try await runBinary(arguments, directory: directory)
        #expect(untrusted.code != 0)
        #expect((untrusted.stdout + untrusted.stderr).contains("cannot connect securely to localhost"), "\(untrusted.stdout) \(untrusted.stderr)")
        #expect(server.requests.filter { $0.contains(" POST ") }.count == 1, "\(server.requests)")

        try configure("pagerduty.tls.ca_bundle=\(directory)/missing.pem")
        let missing = try await runBinary(arguments, directory: directory)
        #expect(missing.code == ExitCode.invalidInput.rawValue)
        #expect(missing.stderr.contains("pagerduty.tls.ca_bundle: cannot read the CA file"), "\(missing.stderr)")
    }

    /// A TLS server that closes the connection while the event is being written: the step
    /// fails as temporary (exit 3), naming the host; it is not reported as sent.
    @Test(.enabled(if: tlsServerAvailable)) func aTLSServerClosingMidEventIsReported() async throws {
        let pair = try await selfSignedCertificate()
        let server = try await ScriptedServer([[]], tls: pair)
        let directory = makeTemporaryDirectory()
        try KeyStorage(base: directory + "/storage").putPassword("keys/pd/routing_key", secret: Array(Sandbox.demo.routingKey.utf8))
        try """
            framework.pagerduty.service.url=https://localhost:\(server.port)
            pagerduty.routing_key_path=keys/pd/routing_key
            pagerduty.tls.ca_bundle=\(pair.certificate)
            pagerduty.retry.max_attempts=1
            """.write(toFile: directory + "/framework.properties", atomically: true, encoding: .utf8)
        let config = #"{"summary": "disk full", "source": "web1", "custom_details": {"blob": "\#(String(repeating: "x", count: 400_000))"}}"#
        let outcome = try await runBinary(["send-event", "--config", "-"], stdin: config, directory: directory)
        #expect(outcome.code == ExitCode.temporary.rawValue, "exit \(outcome.code): \(outcome.stderr)")
        let result = try JSONParser.parse(outcome.stdout)
        #expect(result["status"] == "failed" && result["error"]?["kind"] == "temporary", "\(outcome.stdout)")
        #expect(result["error"]?["message"]?.stringValue?.contains("localhost") == true, "\(outcome.stdout)")
    }

    /// As a CI system runs it: JSON on stdin.
    @Test func ciStyleJSONOnStdin() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        _ = f.sandbox.handle(HTTPRequest(method: "POST", target: "/v2/enqueue", path: "/v2/enqueue", query: [], headers: [], body: Array(#"{"routing_key":"\#(Sandbox.demo.routingKey)","event_action":"trigger","dedup_key":"k","payload":{"summary":"s","source":"x","severity":"info"}}"#.utf8)))
        let id = f.state["incidents"]?[0]?["id"]?.stringValue ?? ""
        let outcome = try await runBinary(["incident-note", "--config", "-"], stdin: #"{"incident_id": "\#(id)", "note": "deploy 42 rolled back"}"#, directory: f.directory)
        #expect(outcome.code == 0, "\(outcome.stderr)")
        #expect(try JSONParser.parse(outcome.stdout)["outputs"]?["incident_id"]?.stringValue == id)
        #expect(f.state["incidents"]?[0]?["notes"]?[0]?["content"] == "deploy 42 rolled back")
    }

    @Test func flagsBeatConfigWhichBeatsTheEnvironment() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let outcome = try await runBinary(
            ["send-event", "--config", "-", "--dedup_key", "from-flag", "--dry-run"], stdin: #"{"summary": "from config", "dedup_key": "from-config"}"#,
            directory: f.directory, environment: ["RD_CONFIG_SUMMARY": "from env", "RD_CONFIG_SOURCE": "env-source"])
        let json = try JSONParser.parse(outcome.stdout)
        #expect(json["status"] == "dry-run" && json["outputs"]?["dedup_key"] == "from-flag")
        #expect(json["response"]?["body"]?["payload"]?["summary"] == "from config" && json["response"]?["body"]?["payload"]?["source"] == "env-source")
        #expect(f.state["incidents"]?.arrayValue?.isEmpty == true)
    }

    @Test func exitCodesAndErrorsInJSON() async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=2")
        defer { f.sandbox.stop() }
        let invalid = try await runBinary(["send-event", "--summary", "x", "--severity", "loud"], directory: f.directory)
        #expect(invalid.code == 2)
        #expect(try JSONParser.parse(invalid.stdout)["error"]?["property"] == "severity")
        let refused = try await runBinary(["get-incident", "--incident-id", "PNOPE"], directory: f.directory)
        #expect(refused.code == 1)
        #expect(try JSONParser.parse(refused.stdout)["error"]?["http_status"] == 404)
        f.fault(#"{"path": "/v2/enqueue", "count": 5, "status": 503}"#)
        let temporary = try await runBinary(["send-event", "--summary", "x", "--source", "y"], directory: f.directory)
        #expect(temporary.code == 3)
        #expect(try JSONParser.parse(temporary.stdout)["error"]?["kind"] == "temporary")
        let secretFlag = try await runBinary(["send-event", "--summary", "x", "--source", "y", "--integration-key", Sandbox.demo.routingKey], directory: f.directory)
        #expect(secretFlag.stderr.contains("puts a secret on the command line"))
        #expect(!(secretFlag.stdout + secretFlag.stderr).contains(Sandbox.demo.routingKey))
    }

    @Test func rundeckOutputPrintsDataLines() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let outcome = try await runBinary(["send-event", "--output", "rundeck"], directory: f.directory, environment: ["RD_CONFIG_SUMMARY": "x", "RD_CONFIG_DEDUP_KEY": "kk", "RD_JOB_NAME": "nightly"])
        #expect(outcome.stdout.contains("RUNDECK:DATA:dedup_key=kk\n"))
        #expect(f.state["incidents"]?[0]?["alerts"]?[0]?["payload"]?["source"] == "nightly")
    }

    @Test func linksRunTheirStep() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let links = f.directory + "/bin"
        #expect(try await runBinary(["install-links", links], directory: f.directory).code == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: links + "/pd-send-event")
        process.arguments = ["--summary", "via link", "--source", "x"]
        process.currentDirectoryURL = URL(fileURLWithPath: f.directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let data = try await offload { () throws -> Data in
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return data
        }
        #expect(process.terminationStatus == 0)
        #expect(try JSONParser.parse(bytes: Array(data))["status"] == "succeeded")
        #expect(f.state["incidents"]?[0]?["title"] == "via link")
    }
}

@Suite struct BundleAndSchemaTests {
    @Test func everyStepHasAJSONSchema() async throws {
        for step in StepCatalog.builtIn.steps {
            let outcome = await pdstep(["describe", step.descriptor.name, "--json-schema"])
            let schema = try JSONParser.parse(outcome.stdout)
            #expect(schema["type"] == "object" && schema["properties"]?.objectValue?.count == step.descriptor.properties.count)
        }
        let send = try JSONParser.parse(await pdstep(["describe", "send-event", "--json-schema"]).stdout)
        #expect(send["properties"]?["event_action"]?["enum"] == ["trigger", "acknowledge", "resolve"])
        #expect(send["properties"]?["integration_key"]?["writeOnly"] == true)
        let note = try JSONParser.parse(await pdstep(["describe", "incident-note", "--json-schema"]).stdout)
        #expect(note["required"] == ["incident_id", "note"])
    }

    @Test func thePluginBundleIsAValidRundeckScriptPlugin() async throws {
        let dir = makeTemporaryDirectory()
        let outcome = await pdstep(["plugin-bundle", "--out", dir])
        #expect(outcome.code == 0)
        let zip = dir + "/pdstep-plugin.zip"
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/unzip") {
            let unzip = Process()
            unzip.executableURL = URL(fileURLWithPath: "/usr/bin/unzip")
            unzip.arguments = ["-t", zip]
            unzip.standardOutput = FileHandle.nullDevice
            try await offload { try unzip.run(); unzip.waitUntilExit() }
            #expect(unzip.terminationStatus == 0)
        }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            names = z.namelist()
            assert 'pdstep-plugin/plugin.yaml' in names and 'pdstep-plugin/contents/pdstep-launcher.sh' in names, names
            try:
                import yaml
            except ImportError:
                print('no-yaml'); sys.exit(0)
            doc = yaml.safe_load(z.read('pdstep-plugin/plugin.yaml'))
            assert doc['rundeckPluginVersion'] == '2.0'
            print(' '.join(p['name'] for p in doc['providers']))
            """, zip]
        let pipe = Pipe()
        check.standardOutput = pipe
        let printed = try await offload { () throws -> String in
            try check.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            check.waitUntilExit()
            return text
        }
        #expect(check.terminationStatus == 0)
        if !printed.contains("no-yaml") {
            let providers = Set(printed.split(whereSeparator: \.isWhitespace).map(String.init))
            #expect(providers == Set(StepCatalog.builtIn.steps.map { $0.descriptor.name }))
        }
    }

    /// The bundle says how outputs become `${data.*}` in Rundeck (only with a key-value-data log
    /// filter), and offers no `oauth_scope` when it cannot offer the client-credential paths
    /// that scope goes with.
    @Test func theBundleExplainsDataCaptureAndOffersNoLoneOAuthScope() throws {
        let yaml = PluginBundle.pluginYAML(name: "p", catalog: .builtIn)
        guard case .array(let providers)? = yaml["providers"] else { Issue.record("no providers"); return }
        var sawOutputs = false
        for provider in providers {
            let names = provider["config"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(!names.contains("oauth_scope"), "\(provider["name"]?.stringValue ?? "")")
            let step = StepCatalog.builtIn.steps.first { $0.descriptor.name == provider["name"]?.stringValue }
            if step?.descriptor.outputs.isEmpty == false {
                sawOutputs = true
                #expect(provider["description"]?.stringValue?.contains("key-value-data log filter") == true)
            }
        }
        #expect(sawOutputs)
        #expect(PluginBundle.launcher.contains("only when the step has a key-value-data log filter"))
    }
}
